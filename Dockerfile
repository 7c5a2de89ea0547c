# DrSentinel's production image: the Native AOT executable on a minimal, non-root base.
# It builds nothing: it copies what `scripts/test.sh` publishes and tests (.artifacts/aot), so the image holds exactly
# the binary CI ran. It is written for the registry and build service elsewhere; this project's machines have no
# container engine, so it is not built here.
#   scripts/test.sh && docker build -t drsentinel .
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY .artifacts/aot/DrSentinel .artifacts/aot/appsettings.json ./
# The chiseled base runs as its non-root user (app, 1654); nothing is written to the image's filesystem, so it can be read-only.
USER app
EXPOSE 9464
ENTRYPOINT ["/app/DrSentinel", "--urls", "http://+:9464"]
