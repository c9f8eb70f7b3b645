# The registry's container image: a static binary on a distroless base,
# running as a non-root user (as deploy/registry.yaml expects).
#
#   docker build -t ghcr.io/provisioning-platform/extension-registry:0.1.0 .
#
# CI here has no container engine, so the image is not built by `make test`;
# what it packs is: `CGO_ENABLED=0 go build ./cmd/extension-registry`, which is.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=0.1.0
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/provisioning-platform/extension-registry/app.Version=${VERSION}" \
    -o /out/extension-registry ./cmd/extension-registry

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/extension-registry /extension-registry
# serve --demo --examples /examples publishes these into the data directory.
COPY --from=build /src/examples /examples
USER 65532:65532
# ./data, the default data_dir, lands in the user's writable home.
WORKDIR /home/nonroot
EXPOSE 8082
ENTRYPOINT ["/extension-registry"]
CMD ["serve", "--listen", ":8082"]
