/** Jest runs every suite in tests/. Pulumi keeps its runtime state on `global`, which
 *  Jest 30 would soft-delete between files, hence globalsCleanup "off". */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  testEnvironmentOptions: { globalsCleanup: "off" },
  roots: ["<rootDir>/tests"],
  testTimeout: 120000,
};
