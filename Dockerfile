# syntax=docker/dockerfile:1

# Node 24 (the floating 24 tag, 24.6 or later): the consumer StatefulSets (deploy/k8s) run the
# platformatic engine for static membership, which needs Node 22.22+ or 24.6+; kafkajs runs on it too.
# Stage 1: every dependency (TypeScript is a devDependency), then compile src/ to dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# Stage 2: production dependencies and the compiled code only, run as the
# image's unprivileged `node` user. The code stays root-owned (read-only to the app).
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The /dashboard page's static files (read from ../../public relative to dist/dashboard).
COPY public ./public
USER node
EXPOSE 3000
# Node runs as the container's main process (exec-form CMD, no npm or shell in
# between), so `docker stop`'s SIGTERM reaches it: Nest's shutdown hooks stop
# fetching, finish in-flight messages, commit and leave the groups.
STOPSIGNAL SIGTERM
# Liveness only: a broker outage shows on /health/ready, and restarting every
# replica would not fix it. Slim images have no curl, so Node's fetch asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
