# syntax=docker/dockerfile:1
# One image for every service: SERVICE selects which one runs (user, product, order, cart, payment,
# inventory, notification, edge). Services run through tsx (a runtime dependency), so there is no build
# step; gen/ must be current (`npm run generate`) before `docker compose build`.
# Multi-arch: only official multi-arch base images and `npm ci`; the native modules in use
# (@node-rs/argon2) ship prebuilt binaries per platform as optional npm packages.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
# Workspace manifests first, so the dependency layer is cached until a package.json changes.
COPY package.json package-lock.json ./
COPY gen/package.json gen/
COPY edge/package.json edge/
COPY services/platform/package.json services/platform/
COPY services/user/package.json services/user/
COPY services/product/package.json services/product/
COPY services/order/package.json services/order/
COPY services/cart/package.json services/cart/
COPY services/payment/package.json services/payment/
COPY services/inventory/package.json services/inventory/
COPY services/notification/package.json services/notification/
# The patches npm ci applies to dependencies (postinstall: patch-package); see patches/README.md.
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json tsconfig.json ./
COPY --chown=root:root gen ./gen
COPY --chown=root:root services ./services
COPY --chown=root:root edge ./edge
COPY --chown=root:root mesh/healthcheck.ts ./mesh/healthcheck.ts
# The operator's dead-letter command (`docker compose exec order npm run dlq -- list`); it imports only
# services/platform and runtime dependencies, all copied above.
COPY --chown=root:root scripts/dlq.ts ./scripts/dlq.ts
# The operator's key rotation (`docker compose exec user npm run user:rotate-key`), the same way.
COPY --chown=root:root scripts/rotate-signing-key.ts ./scripts/rotate-signing-key.ts
# The code is owned by root and read-only to the process; the process runs as the image's node user.
USER node
ARG SERVICE=product
ENV SERVICE=${SERVICE}
# gRPC ports 8001-8007, edge 8080, metrics 9101-9107.
EXPOSE 8001 8002 8003 8004 8005 8006 8007 8080 9101 9102 9103 9104 9105 9106 9107
STOPSIGNAL SIGTERM
# exec: node is PID 1's only child of sh for an instant, then receives SIGTERM directly.
CMD ["sh", "-c", "if [ \"$SERVICE\" = edge ]; then exec node --import tsx edge/src/main.ts; else exec node --import tsx \"services/$SERVICE/src/main.ts\"; fi"]
