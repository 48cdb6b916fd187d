# syntax=docker/dockerfile:1
# starpunk: a fully static musl binary on an empty base image.
#   docker build -t starpunk .
#   docker run -p 8000:8000 -v starpunk-data:/data -e SITE_URL=https://example.com/ starpunk
# Both stages are named: deploy/check-image.sh builds `final` alone with buildah, giving a
# directory laid out like the `build` stage's output (--build-context build=DIR), so the
# COPY --from=build paths below are the contract between the two stages.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rustup target add x86_64-unknown-linux-musl
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY sql ./sql
COPY assets ./assets
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
 && mkdir -p /out/data \
 && cp target/x86_64-unknown-linux-musl/release/starpunk /out/starpunk

FROM scratch AS final
LABEL org.opencontainers.image.title="starpunk" \
      org.opencontainers.image.description="A single-user IndieWeb publishing system in one binary" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/starpunk/starpunk"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/starpunk /starpunk
COPY --from=build --chown=10001:10001 /out/data /data
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_PATH=/data \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s --retries=3 \
  CMD ["/starpunk", "healthcheck"]
ENTRYPOINT ["/starpunk"]
CMD ["serve"]
