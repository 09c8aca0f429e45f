import { defineConfig } from "vitest/config";

/**
 * The real checks (npm run test:real): real helm renders of the pinned upstream charts, a real
 * kube-apiserver + etcd, kwok and (test/real/engine*) the real Pulumi engine. Slow, and each file
 * starts its own daemons, so files run one at a time (2-core CI machines, a few GB of RAM each).
 */
export default defineConfig({
  test: {
    include: ["test/real/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: "forks",
    fileParallelism: false,
  },
});
