# Margin API (REST, /v1 gateway, progress feed) with the admin SPA it serves at /.
# Build from the repository root:  docker build -f docker/api.Dockerfile -t margin-api .
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run-many -t build -p api,admin --outputStyle=static

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 ADMIN_DIST_DIR=/app/dist/apps/admin
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/apps/api ./dist/apps/api
COPY --from=build /app/dist/apps/admin ./dist/apps/admin
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Migrations and the first owner are idempotent: every API container may run them at start.
CMD ["sh", "-c", "node dist/apps/api/apps/api/src/cli.js migrate && node dist/apps/api/apps/api/src/cli.js ensure-owner && exec node dist/apps/api/apps/api/src/main.js"]
