# The app image: one Node process serving the API, Socket.IO and the built client.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
COPY scripts/package.json scripts/
RUN npm ci
COPY . .
RUN npx vite build client

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CLIENT_DIST=/app/client/dist PORT=3000
COPY --from=build /app /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "server/src/main.ts"]
