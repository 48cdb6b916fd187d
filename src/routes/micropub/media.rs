//! The media endpoint (`/micropub/media`) and uploaded media at `/media/{name}`.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::{Map, json};

use super::body::{first, query_pairs, read_multipart};
use crate::clock;
use crate::db::{self, media};
use crate::domain::media::is_media_name;
use crate::domain::photo::{self, PhotoError};
use crate::error::AppError;
use crate::indieauth::Credentials;
use crate::indieauth::bearer::require;
use crate::state::AppState;

/// An upload checked to be an image of an accepted type, cleaned of its metadata and turned the
/// right way up ([`photo::sanitize`], on the blocking pool: it is CPU work), named and hashed.
/// The original bytes are dropped here.
pub(super) async fn image(bytes: Vec<u8>) -> Result<media::Media, AppError> {
    if bytes.is_empty() {
        return Err(AppError::BadRequest("The uploaded file is empty.".into()));
    }
    let clean = web::block(move || photo::sanitize(&bytes, photo::Limits::default()))
        .await
        .map_err(AppError::internal)?
        .map_err(refusal)?;
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(AppError::internal)?;
    Ok(media::Media::new(
        format!("{}.{}", hex::encode(random), clean.extension),
        clean,
    ))
}

/// The answer to an image that is refused: 415 for another type, 413 for too many pixels, 400
/// for a file that does not decode.
fn refusal(e: PhotoError) -> AppError {
    match e {
        PhotoError::Unsupported => AppError::UnsupportedMediaType(e.to_string()),
        PhotoError::TooManyPixels { .. } => AppError::TooLarge(e.to_string()),
        PhotoError::Undecodable { .. } => AppError::BadRequest(e.to_string()),
    }
}

/// `POST /micropub/media`: one image in the multipart part `file`; 201 with its URL.
pub async fn upload(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let is_multipart = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str().eq_ignore_ascii_case("multipart/form-data"));
    if !is_multipart {
        return Err(AppError::UnsupportedMediaType(
            "The media endpoint reads multipart/form-data with the file in the part `file`.".into(),
        ));
    }
    let (fields, files) =
        read_multipart(&state, &req, payload, credentials.authenticated()).await?;
    let mut body_tokens = fields.into_iter().filter(|(k, _)| k == "access_token");
    let body_token = body_tokens.next().map(|(_, v)| v);
    if body_tokens.next().is_some() {
        return Err(AppError::BadRequest(
            "`access_token` may be given only once.".into(),
        ));
    }
    let info = credentials.finish(body_token).await?;
    require(&info, "media")?;
    let mut files = files.into_iter().filter(|f| f.field == "file");
    let (Some(file), None) = (files.next(), files.next()) else {
        return Err(AppError::BadRequest(
            "Send exactly one file, in the multipart part named `file`.".into(),
        ));
    };
    let upload = image(file.bytes).await?;
    let location = state
        .config
        .site
        .absolute(&format!("media/{}", upload.name));
    let (name, size) = (upload.name.clone(), upload.data.len());
    let now = clock::unix_now();
    db::run(&state.db, move |conn| {
        Ok(media::insert(conn, &upload, now)?)
    })
    .await?;
    let mut meta = Map::new();
    meta.insert("name".into(), name.into());
    meta.insert("bytes".into(), size.into());
    state.metrics.event("media.uploaded", meta);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location.clone()))
        .json(json!({ "url": location })))
}

/// `GET /micropub/media?q=…`: the media endpoint's own `q=config`.
pub async fn media_query(
    credentials: Credentials,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let pairs = query_pairs(&req);
    let query_token = first(&pairs, "access_token").map(str::to_owned);
    let info = credentials.finish(query_token).await?;
    require(&info, "media")?;
    let body = match first(&pairs, "q") {
        Some("config") => json!({ "q": ["config", "last"] }),
        // The newest upload (Micropub extension), so a client can find what it just sent.
        Some("last") => {
            let last = db::run(&state.db, move |conn| Ok(media::last_name(conn)?)).await?;
            match last {
                Some(name) => {
                    json!({ "url": state.config.site.absolute(&format!("media/{name}")) })
                }
                None => json!({}),
            }
        }
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "Unknown query `q={other}`; the media endpoint answers config and last."
            )));
        }
        None => {
            return Err(AppError::BadRequest(
                "A GET to the media endpoint needs a query such as `q=config`.".into(),
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(body))
}

/// `GET /media/{name}`: an upload, sized, typed and cached for a year (names never change).
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    if !is_media_name(&name) {
        return Err(AppError::NotFound);
    }
    let file = db::run(&state.db, move |conn| Ok(media::by_name(conn, &name)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::routes::files::stored_file(
        &req,
        &format!("\"{}\"", file.sha256),
        "public, max-age=31536000, immutable",
        &file.content_type,
        web::Bytes::from(file.data),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_their_status() {
        use actix_web::ResponseError;
        let status = |e| refusal(e).status_code().as_u16();
        assert_eq!(status(PhotoError::Unsupported), 415);
        let large = PhotoError::TooManyPixels {
            width: 20000,
            height: 20000,
            limit: photo::MAX_IMAGE_PIXELS,
        };
        assert_eq!(status(large), 413);
        let broken = PhotoError::Undecodable {
            kind: "JPEG",
            detail: "no".into(),
        };
        assert_eq!(status(broken), 400);
    }
}
