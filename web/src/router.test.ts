import { describe, expect, test } from "vitest";
import { links } from "./links";
import { match, nextPath } from "./router";

describe("match", () => {
  test.each([
    ["/signin", "signin", {}],
    ["/", "projects", {}],
    ["/admin/mnist", "project", { entity: "admin", project: "mnist" }],
    ["/admin/mnist/artifacts", "artifacts", { entity: "admin", project: "mnist", type: "" }],
    ["/admin/mnist/artifacts/model", "artifacts", { entity: "admin", project: "mnist", type: "model" }],
    ["/admin/mnist/artifacts/model/mnist_model", "collection", { entity: "admin", project: "mnist", type: "model", name: "mnist_model" }],
    ["/admin/mnist/artifacts/model/mnist_model/v0", "version", { entity: "admin", project: "mnist", type: "model", name: "mnist_model", version: "v0", tab: "" }],
    ["/admin/mnist/artifacts/model/mnist_model/v0/files", "version", { entity: "admin", project: "mnist", type: "model", name: "mnist_model", version: "v0", tab: "files" }],
    ["/admin/mnist/artifacts/model/mnist_model/latest/lineage", "version", { entity: "admin", project: "mnist", type: "model", name: "mnist_model", version: "latest", tab: "lineage" }],
    ["/admin/mnist/runs", "runs", { entity: "admin", project: "mnist" }],
    ["/admin/mnist/runs/ab12cd34", "run", { entity: "admin", project: "mnist", id: "ab12cd34", tab: "" }],
    ["/admin/mnist/runs/ab12cd34/lineage", "run", { entity: "admin", project: "mnist", id: "ab12cd34", tab: "lineage" }],
    ["/admin/mnist/types", "types", { entity: "admin", project: "mnist" }],
    ["/admin/mnist/runs/x/y", "notfound", {}],
    ["/admin/mnist/artifacts/model/mnist_model/v0/other", "notfound", {}],
    ["/admin/mnist/nothing", "notfound", {}],
    ["/admin/mnist/runs/%E0%A4%A", "notfound", {}], // malformed escape
  ])("%s → %s", (path, name, params) => {
    const m = match(path);
    expect(m.name).toBe(name);
    expect(m.params).toEqual(params);
  });

  test("every link of links.ts routes back to its parameters", () => {
    const e = "team one",
      p = "p/2",
      t = "my type",
      n = "a.b-c",
      v = "v12";
    expect(match(links.collection(e, p, t, n))).toEqual({ name: "collection", params: { entity: e, project: p, type: t, name: n } });
    expect(match(links.version(e, p, t, n, v, "files"))).toEqual({
      name: "version",
      params: { entity: e, project: p, type: t, name: n, version: v, tab: "files" },
    });
    expect(match(links.run(e, p, "r1", "lineage")).params).toEqual({ entity: e, project: p, id: "r1", tab: "lineage" });
    expect(match(links.types(e, p)).name).toBe("types");
    expect(match(links.runs(e, p, "train").split("?")[0]).name).toBe("runs");
    expect(match(links.artifacts(e, p, t).split("#")[0]).name).toBe("artifacts");
    expect(match(links.projects()).name).toBe("projects");
    expect(match(links.signIn("/x").split("?")[0]).name).toBe("signin");
  });
});

describe("nextPath", () => {
  test.each([
    ["?next=%2Fadmin%2Fmnist%2Fruns%3Fjob_type%3Dtrain", "/admin/mnist/runs?job_type=train"],
    ["", "/"],
    ["?next=", "/"],
    ["?next=https%3A%2F%2Fevil.example%2F", "/"],
    ["?next=%2F%2Fevil.example", "/"],
    ["?next=%2F%5Cevil.example", "/"],
    ["?next=javascript%3Aalert(1)", "/"],
    ["?next=%2Fsignin%3Fnext%3D%2F", "/"],
  ])("%s → %s", (search, want) => {
    expect(nextPath(search)).toBe(want);
  });
});
