import { rollOrder } from "../components/roll";

/** The order a change rolls across the nodes: backups by rising priority, the VIP's holder last. */

const nodes = [
  { name: "node-1", priority: 100 },
  { name: "node-2", priority: 50 },
  { name: "node-3", priority: 80 },
];

test.each([
  [null, ["node-2", "node-3", "node-1"]],
  ["node-1", ["node-2", "node-3", "node-1"]],
  ["node-2", ["node-3", "node-1", "node-2"]],
  ["node-3", ["node-2", "node-1", "node-3"]],
  // A holder the stack doesn't know (another instance in the subnet): as if none held it.
  ["node-9", ["node-2", "node-3", "node-1"]],
])("holder %s: %j", (holder, order) => {
  expect(rollOrder(nodes, holder)).toEqual(order);
});

test("nodes of equal priority keep their config order", () => {
  const even = ["a", "b", "c"].map((name) => ({ name, priority: 100 }));
  expect(rollOrder(even, null)).toEqual(["a", "b", "c"]);
  expect(rollOrder(even, "a")).toEqual(["b", "c", "a"]);
});
