# syntax=docker/dockerfile:1
# kubeward container image: bundled (scripts/build.ts) with Node 24, run on distroless Node 24 as
# a non-root user. The image holds dist/ alone: the build fails if the bundle
# would load anything from node_modules, so none is shipped. No shell or package
# manager at run time, nothing written outside /tmp (read-only root FS works).
# Build: docker build -t kubeward:0.1.0 .   (pin the base images by digest in your registry)

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY scripts/build.ts ./scripts/build.ts
RUN node scripts/build.ts

FROM gcr.io/distroless/nodejs24-debian12:nonroot
LABEL org.opencontainers.image.title="kubeward" \
      org.opencontainers.image.description="OIDC logins for Kubernetes: authenticating proxy, OIDC issuer, kubectl login" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist ./dist
USER 65532:65532
# 6443: the proxy (HTTPS); 8080: readiness (GET /ready); 9090: metrics when enabled.
EXPOSE 6443 8080 9090
# For `kubeward proxy` with the default --readiness-probe-port; Kubernetes uses
# its own probes (the chart's readinessProbe) and ignores this.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:8080/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The same Node flags as dist/cli/main.js's shebang (see src/cli/main.ts).
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=8", "--incremental-marking-soft-trigger=80", "--incremental-marking-hard-trigger=95", "--liftoff-only", "/app/dist/cli/main.js"]
CMD ["proxy", "--help"]
