# Builds the single waymark binary; web assets and migrations are embedded.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/waymark ./cmd/waymark

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/waymark /usr/local/bin/waymark
EXPOSE 8080 4318
ENTRYPOINT ["/usr/local/bin/waymark"]
CMD ["serve"]
