//! Micropub conformance, organised like the micropub.rocks server tests (create 100–107,
//! 200–206, 300–301; update 400–405; delete 500–503; query 600–603; media 700–702; auth
//! 800–805), against the real app with tokens verified at a real peer on loopback. Then the
//! token rules, round trips and malformed input.

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, location, mf2, spawn_app_with};
use crate::peers::{Advertise, Peer};

const SITE: &str = "http://127.0.0.1:8000";
const JPG: &[u8] = include_bytes!("../fixtures/pixel.jpg");
const PNG: &[u8] = include_bytes!("../fixtures/pixel.png");
const GIF: &[u8] = include_bytes!("../fixtures/pixel.gif");
const WEBP: &[u8] = include_bytes!("../fixtures/pixel.webp");

/// An app owned by a peer, and a token with every scope.
struct Mp {
    app: TestApp,
    peer: Peer,
    token: String,
}

async fn setup() -> Mp {
    setup_with(Advertise::Html, &[]).await
}

async fn setup_with(advertise: Advertise, vars: &[(&str, &str)]) -> Mp {
    let peer = Peer::start(advertise).await;
    let me = peer.me();
    let mut all = vec![("ADMIN_ME", me.as_str())];
    all.extend_from_slice(vars);
    let app = spawn_app_with(&all).await;
    let token = peer.issue_token("create update delete undelete media");
    Mp { app, peer, token }
}

/// The app-local path of one of the site's absolute URLs.
fn local(url: &str) -> String {
    url.strip_prefix(SITE)
        .unwrap_or_else(|| panic!("{url} is not on the site"))
        .to_owned()
}

impl Mp {
    fn endpoint(&self) -> String {
        self.app.url("/micropub")
    }

    async fn json_with(&self, token: &str, body: Value) -> Response {
        self.app
            .client
            .post(self.endpoint())
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, body: Value) -> Response {
        self.json_with(&self.token, body).await
    }

    /// A form post with no `Authorization` header (any token is in the body).
    async fn form_without_header(&self, pairs: &[(&str, &str)]) -> Response {
        self.app
            .client
            .post(self.endpoint())
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    async fn form(&self, pairs: &[(&str, &str)]) -> Response {
        self.app
            .client
            .post(self.endpoint())
            .bearer_auth(&self.token)
            .form(pairs)
            .send()
            .await
            .unwrap()
    }

    /// Creates a post and returns its absolute URL.
    async fn create(&self, body: Value) -> String {
        let res = self.json(body).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        location(&res)
    }

    async fn create_form(&self, pairs: &[(&str, &str)]) -> String {
        let res = self.form(pairs).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        location(&res)
    }

    async fn query(&self, query: &str) -> Response {
        self.app
            .client
            .get(format!("{}?{query}", self.endpoint()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    async fn query_json(&self, query: &str) -> Value {
        let res = self.query(query).await;
        assert_eq!(res.status(), StatusCode::OK, "q {query}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        res.json().await.unwrap()
    }

    /// `q=source` of a post's properties.
    async fn source(&self, url: &str) -> Value {
        let q = format!("q=source&url={}", urlencode(url));
        self.query_json(&q).await["properties"].clone()
    }

    /// The post's page (200) parsed as mf2: its first item's properties.
    async fn page_properties(&self, url: &str) -> Value {
        let res = self.app.get(&local(url)).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let html = res.text().await.unwrap();
        mf2(&html, url)["items"][0]["properties"].clone()
    }

    async fn upload(&self, file: Part) -> Response {
        self.app
            .client
            .post(self.app.url("/micropub/media"))
            .bearer_auth(&self.token)
            .multipart(Form::new().part("file", file))
            .send()
            .await
            .unwrap()
    }
}

/// The URLs of parsed `u-photo`s (an mf2 parser gives `{value, alt}` for an `img` with `alt`).
fn photo_urls(props: &Value) -> Vec<String> {
    props["photo"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.get("value").unwrap_or(p).as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn part(bytes: &'static [u8], name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

async fn error_of(res: Response, status: StatusCode) -> (String, String) {
    assert_eq!(res.status(), status);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = res.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

// ---- Creating posts: form-encoded --------------------------------------------------------

#[tokio::test]
async fn t100_create_an_h_entry_form_encoded() {
    let mp = setup().await;
    let url = mp
        .create_form(&[("h", "entry"), ("content", "Hello from a form")])
        .await;
    assert!(
        url.starts_with(&format!("{SITE}/notes/hello-from-a-form")),
        "{url}"
    );
    let props = mp.page_properties(&url).await;
    assert_eq!(props["content"][0]["value"], "Hello from a form");
}

#[tokio::test]
async fn t101_create_with_multiple_categories_form_encoded() {
    let mp = setup().await;
    let url = mp
        .create_form(&[
            ("h", "entry"),
            ("content", "Categories"),
            ("category[]", "zebra"),
            ("category[]", "apple"),
        ])
        .await;
    assert_eq!(mp.source(&url).await["category"], json!(["zebra", "apple"]));
    assert_eq!(
        mp.page_properties(&url).await["category"],
        json!(["zebra", "apple"])
    );
}

#[tokio::test]
async fn t104_create_with_a_photo_by_url_form_encoded() {
    let mp = setup().await;
    let url = mp
        .create_form(&[
            ("h", "entry"),
            ("content", "A photo"),
            ("photo", "https://photos.example/sunset.jpg"),
        ])
        .await;
    assert_eq!(
        mp.source(&url).await["photo"],
        json!(["https://photos.example/sunset.jpg"])
    );
    let props = mp.page_properties(&url).await;
    assert_eq!(photo_urls(&props), ["https://photos.example/sunset.jpg"]);
}

#[tokio::test]
async fn t107_create_with_one_category_form_encoded() {
    let mp = setup().await;
    let url = mp
        .create_form(&[("h", "entry"), ("content", "One"), ("category", "solo")])
        .await;
    assert_eq!(mp.source(&url).await["category"], json!(["solo"]));
}

// ---- Creating posts: JSON ----------------------------------------------------------------

#[tokio::test]
async fn t200_create_an_h_entry_json() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["Hello JSON"]}}))
        .await;
    let props = mp.page_properties(&url).await;
    assert_eq!(props["content"][0]["value"], "Hello JSON");
}

#[tokio::test]
async fn t201_create_with_multiple_categories_json() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Cats"], "category": ["b", "a", "c"]}}))
        .await;
    assert_eq!(mp.source(&url).await["category"], json!(["b", "a", "c"]));
}

#[tokio::test]
async fn t202_create_with_html_content_json() {
    let mp = setup().await;
    let html = "<p>Bold <b>move</b><script>alert(1)</script><a href=\"javascript:x\" onclick=\"y\">l</a></p>";
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": [{"html": html}]}}))
        .await;
    // Kept exactly as given for q=source …
    assert_eq!(mp.source(&url).await["content"], json!([{"html": html}]));
    // … and sanitised on the page.
    let page = mp.app.get(&local(&url)).await.text().await.unwrap();
    assert!(page.contains("<b>move</b>"));
    assert!(
        !page.contains("<script>alert")
            && !page.contains("javascript:x")
            && !page.contains("onclick")
    );
}

#[tokio::test]
async fn t203_create_with_a_photo_by_url_json() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Pic"], "photo": ["https://photos.example/a.jpg"]}}))
        .await;
    assert_eq!(
        photo_urls(&mp.page_properties(&url).await),
        ["https://photos.example/a.jpg"]
    );
}

#[tokio::test]
async fn t204_create_with_a_nested_object_json() {
    let mp = setup().await;
    let checkin = json!({
        "type": ["h-card"],
        "properties": {
            "name": ["Corner Café"],
            "latitude": ["45.5"],
            "longitude": ["-122.6"],
            "url": ["https://cafe.example/"]
        }
    });
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Coffee time"], "checkin": [checkin.clone()]}}))
        .await;
    assert_eq!(mp.source(&url).await["checkin"], json!([checkin]));
}

#[tokio::test]
async fn t205_create_with_a_photo_with_alt_text_json() {
    let mp = setup().await;
    let photo = json!({"value": "https://photos.example/dog.jpg", "alt": "A dog on a beach"});
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["Dog"], "photo": [photo.clone()]}}))
        .await;
    assert_eq!(mp.source(&url).await["photo"], json!([photo]));
    let props = mp.page_properties(&url).await;
    assert_eq!(props["photo"][0]["value"], "https://photos.example/dog.jpg");
    assert_eq!(props["photo"][0]["alt"], "A dog on a beach");
}

#[tokio::test]
async fn t206_create_with_multiple_photos_by_url_json() {
    let mp = setup().await;
    let photos = json!([
        "https://photos.example/1.jpg",
        "https://photos.example/2.jpg"
    ]);
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["Two"], "photo": photos}}))
        .await;
    assert_eq!(json!(photo_urls(&mp.page_properties(&url).await)), photos);
}

// ---- Creating posts: multipart -----------------------------------------------------------

async fn multipart_create(mp: &Mp, form: Form) -> String {
    let res = mp
        .app
        .client
        .post(mp.endpoint())
        .bearer_auth(&mp.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    location(&res)
}

#[tokio::test]
async fn t300_create_with_an_uploaded_photo() {
    let mp = setup().await;
    let form = Form::new()
        .text("h", "entry")
        .text("content", "Uploaded")
        .part("photo", part(JPG, "photo.jpg"));
    let url = multipart_create(&mp, form).await;
    let photo = mp.source(&url).await["photo"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        photo.starts_with(&format!("{SITE}/media/")) && photo.ends_with(".jpg"),
        "{photo}"
    );
    let res = mp.app.get(&local(&photo)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().as_ref(), JPG);
    assert_eq!(photo_urls(&mp.page_properties(&url).await), [photo]);
}

#[tokio::test]
async fn t301_create_with_two_uploaded_photos() {
    let mp = setup().await;
    let form = Form::new()
        .text("h", "entry")
        .text("content", "Two uploads")
        .part("photo[]", part(PNG, "a.png"))
        .part("photo[]", part(GIF, "b.gif"));
    let url = multipart_create(&mp, form).await;
    let photos = mp.source(&url).await["photo"].clone();
    let photos: Vec<&str> = photos
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(photos.len(), 2);
    assert!(
        photos[0].ends_with(".png") && photos[1].ends_with(".gif"),
        "order kept: {photos:?}"
    );
    for (photo, bytes) in photos.iter().zip([PNG, GIF]) {
        assert_eq!(
            mp.app
                .get(&local(photo))
                .await
                .bytes()
                .await
                .unwrap()
                .as_ref(),
            bytes
        );
    }
}

// ---- Updates -----------------------------------------------------------------------------

async fn update(mp: &Mp, url: &str, ops: Value) -> Response {
    let mut body = json!({"action": "update", "url": url});
    body.as_object_mut()
        .unwrap()
        .extend(ops.as_object().unwrap().clone());
    mp.json(body).await
}

async fn update_ok(mp: &Mp, url: &str, ops: Value) {
    let res = update(mp, url, ops).await;
    assert!(
        matches!(res.status().as_u16(), 200 | 204),
        "{}",
        res.status()
    );
}

#[tokio::test]
async fn t400_replace_a_property() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["Before the edit"]}}))
        .await;
    update_ok(
        &mp,
        &url,
        json!({"replace": {"content": ["After the edit"]}}),
    )
    .await;
    assert_eq!(mp.source(&url).await["content"], json!(["After the edit"]));
    // Re-rendered, same slug.
    let page = mp.page_properties(&url).await;
    assert_eq!(page["content"][0]["value"], "After the edit");
    assert!(url.ends_with("/notes/before-the-edit"));
}

#[tokio::test]
async fn t401_add_a_value_to_an_existing_property() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["x"], "category": ["one"]}}))
        .await;
    update_ok(&mp, &url, json!({"add": {"category": ["two"]}})).await;
    assert_eq!(mp.source(&url).await["category"], json!(["one", "two"]));
}

#[tokio::test]
async fn t402_add_a_value_to_a_non_existent_property() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["x"]}}))
        .await;
    update_ok(&mp, &url, json!({"add": {"category": ["new"]}})).await;
    assert_eq!(mp.source(&url).await["category"], json!(["new"]));
}

#[tokio::test]
async fn t403_remove_a_value_from_a_property() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["x"], "category": ["a", "b", "c"]}}))
        .await;
    update_ok(&mp, &url, json!({"delete": {"category": ["b"]}})).await;
    assert_eq!(mp.source(&url).await["category"], json!(["a", "c"]));
}

#[tokio::test]
async fn t404_remove_a_property() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["x"], "category": ["a"]}}))
        .await;
    update_ok(&mp, &url, json!({"delete": ["category"]})).await;
    assert!(mp.source(&url).await.get("category").is_none());
}

#[tokio::test]
async fn t405_reject_an_operation_that_is_not_an_array() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {"content": ["Unchanged"]}}))
        .await;
    for ops in [
        json!({"replace": {"content": "not a list"}}),
        json!({"add": {"category": "x"}}),
        json!({"delete": "category"}),
        json!({"replace": ["content"]}),
    ] {
        let (error, _) = error_of(
            update(&mp, &url, ops.clone()).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(error, "invalid_request", "{ops}");
    }
    assert_eq!(mp.source(&url).await["content"], json!(["Unchanged"]));
}

#[tokio::test]
async fn updates_of_posts_that_are_not_ours_or_missing_are_400() {
    let mp = setup().await;
    for url in [
        "https://elsewhere.example/notes/x".to_owned(),
        format!("{SITE}/notes/no-such-post"),
        format!("{SITE}/static/css/site.css"),
    ] {
        let res = update(&mp, &url, json!({"replace": {"content": ["x"]}})).await;
        let (error, description) = error_of(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_request");
        assert!(description.contains(&url), "{description}");
    }
}

#[tokio::test]
async fn round_trip_source_equals_what_was_sent_after_each_update() {
    let mp = setup().await;
    let mut expected = json!({
        "content": ["Round trip"],
        "category": ["x", "y"],
        "photo": [{"value": "https://p.example/1.jpg", "alt": "one"}],
        "location": [{"type": ["h-card"], "properties": {"name": ["Home"]}}],
        "x-unknown": ["kept", "as", "given"]
    });
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": expected.clone()}))
        .await;
    assert_eq!(mp.source(&url).await, expected);
    let steps = [
        (
            json!({"replace": {"content": ["Changed"]}}),
            "content",
            json!(["Changed"]),
        ),
        (
            json!({"add": {"category": ["z"]}}),
            "category",
            json!(["x", "y", "z"]),
        ),
        (
            json!({"delete": {"category": ["x"]}}),
            "category",
            json!(["y", "z"]),
        ),
        (
            json!({"add": {"syndication": ["https://s.example/1"]}}),
            "syndication",
            json!(["https://s.example/1"]),
        ),
        (
            json!({"replace": {"name": ["A title"]}}),
            "name",
            json!(["A title"]),
        ),
    ];
    for (ops, key, value) in steps {
        update_ok(&mp, &url, ops).await;
        expected[key] = value;
        assert_eq!(mp.source(&url).await, expected, "after {key}");
    }
    update_ok(&mp, &url, json!({"delete": ["x-unknown"]})).await;
    expected.as_object_mut().unwrap().remove("x-unknown");
    let got = mp.source(&url).await;
    assert_eq!(got, expected);
    // Key order is kept too.
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        expected.as_object().unwrap().keys().collect::<Vec<_>>()
    );
    let page = mp.page_properties(&url).await;
    assert_eq!(page["name"], json!(["A title"]));
}

// ---- Deletes -----------------------------------------------------------------------------

#[tokio::test]
async fn t500_delete_a_post_form_encoded() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "Doomed")]).await;
    let res = mp.form(&[("action", "delete"), ("url", &url)]).await;
    assert!(matches!(res.status().as_u16(), 200 | 204));
    assert_eq!(mp.app.get(&local(&url)).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn t501_delete_a_post_json() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "Doomed too")]).await;
    let res = mp.json(json!({"action": "delete", "url": url})).await;
    assert!(matches!(res.status().as_u16(), 200 | 204));
    assert_eq!(mp.app.get(&local(&url)).await.status(), StatusCode::GONE);
}

#[tokio::test]
async fn t502_undelete_a_post_form_encoded() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "Back again")]).await;
    mp.form(&[("action", "delete"), ("url", &url)]).await;
    let res = mp.form(&[("action", "undelete"), ("url", &url)]).await;
    assert!(matches!(res.status().as_u16(), 200 | 204));
    assert_eq!(mp.app.get(&local(&url)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn t503_undelete_a_post_json() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "Back again JSON")]).await;
    mp.json(json!({"action": "delete", "url": url})).await;
    let res = mp.json(json!({"action": "undelete", "url": url})).await;
    assert!(matches!(res.status().as_u16(), 200 | 204));
    assert_eq!(mp.app.get(&local(&url)).await.status(), StatusCode::OK);
}

// ---- Queries -----------------------------------------------------------------------------

#[tokio::test]
async fn t600_configuration_query() {
    let mp = setup().await;
    let config = mp.query_json("q=config").await;
    assert_eq!(config["media-endpoint"], format!("{SITE}/micropub/media"));
    assert_eq!(config["syndicate-to"], json!([]));
    let q = config["q"].as_array().unwrap();
    for name in ["config", "source", "syndicate-to", "category"] {
        assert!(q.contains(&json!(name)), "{name}");
    }
}

#[tokio::test]
async fn t601_syndication_target_query() {
    let mp = setup().await;
    assert_eq!(
        mp.query_json("q=syndicate-to").await,
        json!({"syndicate-to": []})
    );
}

#[tokio::test]
async fn t602_source_query_all_properties() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Plain text stays a string"], "category": ["q"]}}))
        .await;
    let q = format!("q=source&url={}", urlencode(&url));
    let source = mp.query_json(&q).await;
    assert_eq!(source["type"], json!(["h-entry"]));
    assert_eq!(
        source["properties"]["content"],
        json!(["Plain text stays a string"])
    );
    assert_eq!(source["properties"]["category"], json!(["q"]));
}

#[tokio::test]
async fn t603_source_query_specific_properties() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Some"], "category": ["c"], "name": ["N"]}}))
        .await;
    let q = format!(
        "q=source&url={}&properties[]=content&properties[]=category",
        urlencode(&url)
    );
    let source = mp.query_json(&q).await;
    assert_eq!(
        source,
        json!({"properties": {"content": ["Some"], "category": ["c"]}})
    );
}

#[tokio::test]
async fn source_lists_category_and_unknown_queries() {
    let mp = setup().await;
    let mut urls = Vec::new();
    for (i, cat) in ["rust", "ruby", "go"].iter().enumerate() {
        urls.push(
            mp.create(json!({"type": ["h-entry"], "properties": {
                "content": [format!("Post {i}")], "category": [cat],
                "published": [format!("2024-01-0{}T00:00:00Z", i + 1)]}}))
                .await,
        );
    }
    let list = mp.query_json("q=source&limit=2").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["properties"]["url"],
        json!([urls[2]]),
        "newest first"
    );
    assert_eq!(items[1]["properties"]["url"], json!([urls[1]]));
    let rest = mp.query_json("q=source&limit=2&offset=2").await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["properties"]["url"], json!([urls[0]]));

    assert_eq!(
        mp.query_json("q=category").await,
        json!({"categories": ["go", "ruby", "rust"]})
    );
    assert_eq!(
        mp.query_json("q=category&filter=ru").await,
        json!({"categories": ["ruby", "rust"]})
    );

    for q in ["q=frobnicate", "q=source&limit=lots"] {
        let (error, _) = error_of(mp.query(q).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_request", "{q}");
    }
    // No query at all (some apps check their token so): the config.
    let bare = mp.query_json("").await;
    assert!(bare["media-endpoint"].is_string(), "{bare}");
}

// ---- Media endpoint ----------------------------------------------------------------------

async fn upload_ok(mp: &Mp, bytes: &'static [u8], name: &str, mime: &str) {
    let res = mp.upload(part(bytes, name)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let url = location(&res);
    assert!(url.starts_with(&format!("{SITE}/media/")), "{url}");
    let served = mp.app.get(&local(&url)).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], mime);
    assert_eq!(
        served.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    let cache = served.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cache.contains("max-age=31536000"), "{cache}");
    let etag = served.headers()["etag"].clone();
    assert_eq!(served.bytes().await.unwrap().as_ref(), bytes);
    let again = mp
        .app
        .client
        .get(mp.app.url(&local(&url)))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn t700_upload_a_jpg() {
    upload_ok(&setup().await, JPG, "photo.jpg", "image/jpeg").await;
}

#[tokio::test]
async fn t701_upload_a_png() {
    upload_ok(&setup().await, PNG, "photo.png", "image/png").await;
}

#[tokio::test]
async fn t702_upload_a_gif() {
    upload_ok(&setup().await, GIF, "photo.gif", "image/gif").await;
}

#[tokio::test]
async fn media_types_come_from_content_and_size_is_limited() {
    let mp = setup_with(Advertise::Html, &[("MAX_UPLOAD_BYTES", "1024")]).await;
    upload_ok(&mp, WEBP, "photo.webp", "image/webp").await;
    // A PNG named .jpg is served as a PNG.
    let res = mp.upload(part(PNG, "lying.jpg")).await;
    let url = location(&res);
    assert!(url.ends_with(".png"));
    assert_eq!(
        mp.app.get(&local(&url)).await.headers()["content-type"],
        "image/png"
    );
    // Not an image, whatever its name says.
    let res = mp
        .upload(Part::bytes(&b"<svg onload=alert(1)>"[..]).file_name("x.png"))
        .await;
    error_of(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    // JPG is 632 bytes; 2 KiB is over the limit.
    let big: &'static [u8] = Box::leak([JPG, &[0u8; 2048][..]].concat().into_boxed_slice());
    error_of(
        mp.upload(part(big, "big.jpg")).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    // No `file` part.
    let res = mp
        .app
        .client
        .post(mp.app.url("/micropub/media"))
        .bearer_auth(&mp.token)
        .multipart(Form::new().part("image", part(JPG, "a.jpg")))
        .send()
        .await
        .unwrap();
    error_of(res, StatusCode::BAD_REQUEST).await;
    // Unknown media.
    let res = mp
        .app
        .get("/media/0123456789abcdef0123456789abcdef.jpg")
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = mp.app.get("/media/..%2Fstarpunk.db").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let stored: i64 = mp
        .app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM media", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 2, "refused uploads stored nothing");
}

// ---- Authentication ----------------------------------------------------------------------

#[tokio::test]
async fn t800_accept_the_token_in_the_header() {
    let mp = setup().await;
    let res = mp
        .json(json!({"type": ["h-entry"], "properties": {"content": ["hdr"]}}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn t801_accept_the_token_in_the_body() {
    let mp = setup().await;
    let res = mp
        .form_without_header(&[
            ("content", "body token"),
            ("access_token", mp.token.as_str()),
        ])
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = mp
        .app
        .client
        .post(mp.endpoint())
        .json(&json!({"type": ["h-entry"], "properties": {"content": ["json body token"]}, "access_token": mp.token}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn t802_the_token_is_never_stored() {
    let mp = setup().await;
    let res = mp
        .form_without_header(&[
            ("content", "no token kept"),
            // With brackets it is still the token, never a property.
            ("access_token[]", mp.token.as_str()),
            ("mp-slug", "kept-slug"),
        ])
        .await;
    let url = location(&res);
    assert!(url.ends_with("/notes/kept-slug"), "mp-slug used: {url}");
    let source = mp.source(&url).await;
    assert_eq!(
        source,
        json!({"content": ["no token kept"]}),
        "no access_token, no mp-slug"
    );
    let conn = mp.app.state.db.pool.get().unwrap();
    let leaked: i64 = conn
        .query_row(
            "SELECT count(*) FROM notes WHERE instr(properties, ?1) OR instr(content, ?1)",
            [&mp.token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test]
async fn t803_reject_unauthenticated_requests() {
    let mp = setup().await;
    let res = mp.form_without_header(&[("content", "anonymous")]).await;
    assert!(
        res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let (error, _) = error_of(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error, "unauthorized");
    let res = mp
        .app
        .client
        .get(format!("{}?q=config", mp.endpoint()))
        .send()
        .await
        .unwrap();
    error_of(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(mp.app.note_count(), 0);
}

/// micropub.rocks 804 expects 401 for a token without the needed scope; RFC 6750 §3.1 (and the
/// Micropub spec's error table) say 403 `insufficient_scope`, which is what we follow.
#[tokio::test]
async fn t804_reject_tokens_without_the_scope() {
    let mp = setup().await;
    let media_only = mp.peer.issue_token("media");
    let res = mp
        .json_with(
            &media_only,
            json!({"type": ["h-entry"], "properties": {"content": ["no"]}}),
        )
        .await;
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains("insufficient_scope") && challenge.contains("create"),
        "{challenge}"
    );
    let (error, _) = error_of(res, StatusCode::FORBIDDEN).await;
    assert_eq!(error, "insufficient_scope");
    assert_eq!(mp.app.note_count(), 0);
}

/// micropub.rocks 805 looks for the text "bad request"; the specification (RFC 6750 §2) says
/// 400 `invalid_request`, which is what we answer.
#[tokio::test]
async fn t805_reject_two_authentication_methods() {
    let mp = setup().await;
    let res = mp
        .app
        .client
        .post(mp.endpoint())
        .bearer_auth(&mp.token)
        .form(&[("content", "twice"), ("access_token", mp.token.as_str())])
        .send()
        .await
        .unwrap();
    let (error, _) = error_of(res, StatusCode::BAD_REQUEST).await;
    assert_eq!(error, "invalid_request");
    assert_eq!(mp.app.note_count(), 0);
}

#[tokio::test]
async fn each_action_needs_its_own_scope() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "scoped")]).await;
    let create_only = mp.peer.issue_token("create");
    for (body, scope) in [
        (
            json!({"action": "update", "url": url, "replace": {"content": ["x"]}}),
            "update",
        ),
        (json!({"action": "delete", "url": url}), "delete"),
        (json!({"action": "undelete", "url": url}), "undelete"),
    ] {
        let res = mp.json_with(&create_only, body).await;
        let challenge = res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.contains(scope), "{challenge}");
        error_of(res, StatusCode::FORBIDDEN).await;
    }
    // A `create` token may upload media; a `delete` token may not.
    let uploader = Mp {
        token: create_only,
        ..setup_clone(&mp)
    };
    assert_eq!(
        uploader.upload(part(PNG, "a.png")).await.status(),
        StatusCode::CREATED
    );
    let deleter = Mp {
        token: mp.peer.issue_token("delete"),
        ..setup_clone(&mp)
    };
    error_of(
        deleter.upload(part(PNG, "a.png")).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(mp.source(&url).await["content"], json!(["scoped"]));
}

/// The same app and peer under another token.
fn setup_clone(mp: &Mp) -> Mp {
    Mp {
        app: mp.app.other_browser(),
        peer: mp.peer.clone(),
        token: mp.token.clone(),
    }
}

#[tokio::test]
async fn unknown_tokens_and_other_peoples_tokens_are_refused() {
    let mp = setup().await;
    let body = json!({"type": ["h-entry"], "properties": {"content": ["x"]}});
    let res = mp.json_with("forged", body.clone()).await;
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let (error, description) = error_of(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error, "unauthorized");
    assert!(!description.contains("forged"), "the token is never echoed");
    let theirs = mp
        .peer
        .issue_token_for("https://someone-else.example/", "create");
    let (error, _) = error_of(mp.json_with(&theirs, body).await, StatusCode::FORBIDDEN).await;
    assert_eq!(error, "forbidden");
    let res = mp
        .app
        .client
        .post(mp.endpoint())
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .form(&[("content", "basic")])
        .send()
        .await
        .unwrap();
    error_of(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(mp.app.note_count(), 0);
}

#[tokio::test]
async fn verdicts_are_cached_per_token() {
    let mp = setup().await;
    for i in 0..3 {
        mp.create_form(&[("content", &format!("cached {i}"))]).await;
    }
    assert_eq!(
        mp.peer.hits("/token"),
        1,
        "one verification for three requests"
    );
    let other = mp.peer.issue_token("create");
    let res = mp
        .json_with(
            &other,
            json!({"type": ["h-entry"], "properties": {"content": ["o"]}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(mp.peer.hits("/token"), 2, "a new token is verified");
    // Refusals are cached as well: a forged token costs the token endpoint one request.
    for _ in 0..3 {
        mp.json_with("forged", json!({})).await;
    }
    assert_eq!(mp.peer.hits("/token"), 3);
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_503_never_a_pass() {
    let mp = setup().await;
    mp.peer.with(|s| s.token_endpoint_down = true);
    let res = mp
        .json(json!({"type": ["h-entry"], "properties": {"content": ["x"]}}))
        .await;
    let (error, description) = error_of(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(error, "temporarily_unavailable");
    assert!(description.contains("token endpoint"), "{description}");
    assert_eq!(mp.app.note_count(), 0);
    // Once it is back, the same token works (failures are not cached).
    mp.peer.with(|s| s.token_endpoint_down = false);
    assert_eq!(
        mp.json(json!({"type": ["h-entry"], "properties": {"content": ["x"]}}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn introspection_is_used_when_get_is_refused() {
    let mp = setup_with(Advertise::Metadata, &[]).await;
    mp.peer.with(|s| s.refuse_get = true);
    mp.create_form(&[("content", "via introspection")]).await;
    assert_eq!(mp.peer.hits("/introspect"), 1);
    let (error, _) = error_of(
        mp.json_with("forged", json!({})).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(error, "unauthorized");
}

// ---- Create details and malformed input ---------------------------------------------------

#[tokio::test]
async fn published_drafts_names_and_photo_only_posts() {
    let mp = setup().await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "name": ["An article"], "content": ["Body"],
            "published": ["2023-04-05T06:07:08+02:00"], "post-status": ["draft"]}}))
        .await;
    // A note with a name takes its slug from the name (issue 14).
    assert!(url.ends_with("/notes/an-article"), "{url}");
    assert_eq!(
        mp.app.get(&local(&url)).await.status(),
        StatusCode::NOT_FOUND,
        "a draft"
    );
    let (published_at, published): (i64, bool) = mp
        .app
        .state
        .db
        .pool
        .get()
        .unwrap()
        .query_row("SELECT published_at, published FROM notes", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(published_at, 1_680_667_628);
    assert!(!published);
    update_ok(
        &mp,
        &url,
        json!({"replace": {"post-status": ["published"]}}),
    )
    .await;
    let page = mp.page_properties(&url).await;
    assert_eq!(page["name"], json!(["An article"]));
    assert!(
        page["published"][0]
            .as_str()
            .unwrap()
            .starts_with("2023-04-05T04:07:08")
    );

    let url = mp
        .create(
            json!({"type": ["h-entry"], "properties": {"photo": ["https://p.example/only.jpg"]}}),
        )
        .await;
    assert_eq!(
        photo_urls(&mp.page_properties(&url).await),
        ["https://p.example/only.jpg"]
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_and_store_nothing() {
    let mp = setup().await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        mp.app
            .client
            .post(mp.endpoint())
            .bearer_auth(&mp.token)
            .header("Content-Type", content_type)
            .body(body)
            // A body the parser waits on forever would hang here: fail instead.
            .timeout(std::time::Duration::from_secs(10))
            .send()
    };
    for (content_type, body) in [
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[1, 2]".to_vec()),
        ("application/json", "[".repeat(10_000).into_bytes()),
        (
            "application/json",
            br#"{"type": ["h-entry"], "properties": {"content": [""]}}"#.to_vec(),
        ),
        (
            "application/json",
            br#"{"type": ["h-event"], "properties": {"content": ["x"]}}"#.to_vec(),
        ),
        (
            "application/json",
            br#"{"type": ["h-entry"], "properties": {"published": ["soon"]}}"#.to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"content=%FF%FE".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"h=entry&h=entry&content=x".to_vec(),
        ),
        (
            "multipart/form-data; boundary=xyz",
            b"--xyz\r\nnonsense".to_vec(),
        ),
        ("multipart/form-data", b"no boundary".to_vec()),
        // Cut short before the closing delimiter (the parser used to wait for it forever).
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=\"h\"\r\n\r\nentry\r\n".to_vec(),
        ),
    ] {
        let res = send(content_type, body.clone()).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{content_type} {}",
            String::from_utf8_lossy(&body[..body.len().min(40)])
        );
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["error"], "invalid_request");
    }
    let res = send("text/plain", b"content=x".to_vec()).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("content={}", "a".repeat(starpunk::state::FORM_LIMIT + 1));
    let res = send("application/x-www-form-urlencoded", huge.into_bytes())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Uploads that are not images or not photos are refused before anything is stored.
    let res = mp
        .app
        .client
        .post(mp.endpoint())
        .bearer_auth(&mp.token)
        .multipart(
            Form::new()
                .text("content", "x")
                .part("video", part(GIF, "v.gif")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mp.app.note_count(), 0);
}

#[tokio::test]
async fn the_endpoint_never_redirects_and_lists_its_methods() {
    let mp = setup().await;
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let res = mp
            .app
            .client
            .request(method, mp.endpoint())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    }
    let res = mp.app.client.get(mp.endpoint()).send().await.unwrap();
    assert!(!res.status().is_redirection());
    let res = mp.app.client.post(mp.endpoint()).send().await.unwrap();
    assert!(!res.status().is_redirection());
}

#[tokio::test]
async fn admin_edits_stay_in_step_with_q_source_and_tokens_never_reach_metrics() {
    let mp = setup_with(Advertise::Html, &[("DEV_MODE", "true")]).await;
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["From a client"], "post-status": ["published"], "category": ["c"]}}))
        .await;
    let csrf = mp.app.login().await;
    let (_, id) = mp.app.newest_note().await;
    let res = mp
        .app
        .post_form(
            &format!("/admin/edit/{id}"),
            &[
                ("csrf_token", &csrf),
                ("content", "Edited in the admin"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mp.source(&url).await,
        json!({"content": ["Edited in the admin"], "post-status": ["draft"], "category": ["c"]})
    );
    // A note written in the admin has a source too.
    let (slug, _) = mp.app.create_note(&csrf, "Admin *note*", false).await;
    assert_eq!(
        mp.source(&format!("{SITE}/notes/{slug}")).await,
        json!({"content": ["Admin *note*"], "post-status": ["draft"]})
    );
    // Tokens in the query string and the body are not recorded anywhere in the metrics.
    mp.app
        .get(&format!("/micropub?q=config&access_token={}", mp.token))
        .await;
    mp.form_without_header(&[("content", "body"), ("access_token", mp.token.as_str())])
        .await;
    let metrics = mp
        .app
        .get("/admin/metrics?format=json")
        .await
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("/micropub"), "the requests were recorded");
    assert!(!metrics.contains(&mp.token), "but not their tokens");
}

#[tokio::test]
async fn an_owners_token_opens_detailed_health_and_others_do_not() {
    let mp = setup().await;
    let detailed = |token: String| {
        let app = &mp.app;
        async move {
            let res = app
                .client
                .get(app.url("/health?detailed=true"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    let body = detailed(mp.token.clone()).await;
    assert!(body.get("uptime_seconds").is_some(), "{body}");
    let body = detailed("forged".to_owned()).await;
    assert_eq!(
        body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
    );
    let theirs = mp
        .peer
        .issue_token_for("https://someone-else.example/", "create");
    assert!(detailed(theirs).await.get("uptime_seconds").is_none());
}

#[tokio::test]
async fn property_values_are_checked_on_create_and_update() {
    let mp = setup().await;
    let url = mp.create_form(&[("content", "Checked")]).await;
    for properties in [
        json!({"content": ["x"], "url": ["http://evil.example/x"]}),
        json!({"content": ["x"], "type": ["h-event"]}),
        json!({"content": ["x"], "<x>": ["v"]}),
        json!({"content": ["x"], "category": [1, null, {"a": 1}, "ok"]}),
        json!({"content": ["x"], "photo": [5]}),
        json!({"content": ["x"], "photo": ["javascript:alert(1)"]}),
        json!({"content": ["x"], "post-status": ["draft", "published"]}),
        json!({"content": ["x"], "visibility": ["unlisted"]}),
        json!({"content": ["x"], "published": ["2024-01-01T10:00:00+25:00"]}),
    ] {
        let res = mp
            .json(json!({"type": ["h-entry"], "properties": properties.clone()}))
            .await;
        let (error, _) = error_of(res, StatusCode::BAD_REQUEST).await;
        assert_eq!(error, "invalid_request", "create {properties}");
        let replace = properties.as_object().unwrap().clone();
        let res = update(&mp, &url, json!({"replace": replace})).await;
        error_of(res, StatusCode::BAD_REQUEST).await;
    }
    for ops in [
        json!({"add": {"photo": ["javascript:alert(1)"]}}),
        json!({"replace": {"url": ["http://evil.example/"]}}),
        json!({"delete": ["type"]}),
    ] {
        error_of(update(&mp, &url, ops).await, StatusCode::BAD_REQUEST).await;
    }
    assert_eq!(mp.app.note_count(), 1);
    assert_eq!(mp.source(&url).await, json!({"content": ["Checked"]}));
    // A nested h-cite reply and a percent-encoded URL are fine.
    let cite = json!({"type": ["h-cite"], "properties": {"url": ["https://a.example/1"]}});
    let encoded = url.replace("checked", "ch%65cked");
    update_ok(
        &mp,
        &encoded,
        json!({"add": {"in-reply-to": [cite.clone()]}}),
    )
    .await;
    assert_eq!(mp.source(&url).await["in-reply-to"], json!([cite]));
}

#[tokio::test]
async fn private_posts_stay_private_and_control_characters_are_dropped() {
    let mp = setup().await;
    let private = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": ["Only me"], "visibility": ["private"]}}))
        .await;
    assert_eq!(
        mp.app.get(&local(&private)).await.status(),
        StatusCode::NOT_FOUND
    );
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "name": ["t\u{0}itle"], "content": ["a\u{0}b\u{7}c\u{1b}[31m\ttab"]}}))
        .await;
    let page = mp.app.get(&local(&url)).await.text().await.unwrap();
    assert!(
        !page.contains(['\u{0}', '\u{7}', '\u{1b}']),
        "no control characters"
    );
    assert!(
        page.contains("abc[31m") && page.contains("<title>title"),
        "the text stays"
    );
}

#[tokio::test]
async fn list_bounds_media_queries_and_repeated_authorization() {
    let mp = setup().await;
    mp.create_form(&[("content", "One")]).await;
    assert_eq!(
        mp.query_json("q=source&limit=0").await,
        json!({"items": []})
    );
    let far = "q=source&offset=99999999999999999999999";
    assert_eq!(mp.query_json(far).await, json!({"items": []}));
    for q in ["q=source&limit=-1", "q=source&offset=1.5"] {
        error_of(mp.query(q).await, StatusCode::BAD_REQUEST).await;
    }

    let media_query = |q: &'static str| {
        mp.app
            .client
            .get(mp.app.url(&format!("/micropub/media?{q}")))
            .bearer_auth(&mp.token)
            .send()
    };
    let config: Value = media_query("q=config").await.unwrap().json().await.unwrap();
    assert_eq!(config, json!({"q": ["config", "last"]}));
    let empty: Value = media_query("q=last").await.unwrap().json().await.unwrap();
    assert_eq!(empty, json!({}));
    let uploaded = location(&mp.upload(part(GIF, "g.gif")).await);
    let last: Value = media_query("q=last").await.unwrap().json().await.unwrap();
    assert_eq!(last, json!({"url": uploaded}));
    error_of(
        media_query("q=frobnicate").await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;

    let res = mp
        .app
        .client
        .get(format!("{}?q=config", mp.endpoint()))
        .header("Authorization", format!("Bearer {}", mp.token))
        .header("Authorization", "Bearer another")
        .send()
        .await
        .unwrap();
    error_of(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn admin_edits_keep_html_content_html_and_publishing_clears_private() {
    let mp = setup_with(Advertise::Html, &[("DEV_MODE", "true")]).await;
    let html = "<p>Rich <em>text</em></p>";
    let url = mp
        .create(json!({"type": ["h-entry"], "properties": {
            "content": [{"html": html}], "visibility": ["private"]}}))
        .await;
    let csrf = mp.app.login().await;
    let (_, id) = mp.app.newest_note().await;
    let edited = "<p>Edited <em>text</em></p>\n    <p>indented</p>";
    let res = mp
        .app
        .post_form(
            &format!("/admin/edit/{id}"),
            &[
                ("csrf_token", &csrf),
                ("content", edited),
                ("published", "true"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mp.source(&url).await,
        json!({"content": [{"html": edited}]})
    );
    // A later Micropub update keeps it HTML and public.
    update_ok(&mp, &url, json!({"add": {"category": ["kept"]}})).await;
    let page = mp.app.get(&local(&url)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("<p>indented</p>") && !body.contains("<pre>"),
        "{body}"
    );
}

#[tokio::test]
async fn strangers_cannot_make_the_server_hold_many_uploads() {
    use std::io::Write;
    let mp = setup().await;
    let port = mp.app.address.rsplit(':').next().unwrap().to_owned();
    // Two token-less uploads that announce 5 MB and stall after a few bytes.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut s = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        write!(
            s,
            "POST /micropub/media HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5000000\r\n\r\n--b\r\n"
        )
        .unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // A third token-less body waits for them …
    let body_token = mp
        .app
        .client
        .post(mp.app.url("/micropub/media"))
        .multipart(
            Form::new()
                .text("access_token", mp.token.clone())
                .part("file", part(PNG, "a.png")),
        )
        .timeout(std::time::Duration::from_millis(500))
        .send()
        .await;
    assert!(body_token.is_err(), "queued behind the stalled uploads");
    // … while the owner's header-token upload goes straight through.
    assert_eq!(
        mp.upload(part(PNG, "b.png")).await.status(),
        StatusCode::CREATED
    );
    drop(stalled);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let res = mp
        .app
        .client
        .post(mp.app.url("/micropub/media"))
        .multipart(
            Form::new()
                .text("access_token", mp.token.clone())
                .part("file", part(PNG, "c.png")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "room again once they are gone"
    );
}
