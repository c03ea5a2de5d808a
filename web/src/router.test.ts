import { describe, expect, test } from "vitest";
import { links } from "./links";
import { match, nextPath, registryCrumbs, routeView } from "./router";

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
    ["/registries", "registries", {}],
    ["/registries/", "registries", {}],
    ["/registries/model", "registry", { registry: "model" }],
    ["/registries/my%20reg", "registry", { registry: "my reg" }],
    ["/registries/model/x", "notfound", {}],
    ["/registry/model", "project", { entity: "registry", project: "model" }],
    ["/registry/model/artifacts/model/Zoo_Classifier_Models/v0/lineage", "version", { entity: "registry", project: "model", type: "model", name: "Zoo_Classifier_Models", version: "v0", tab: "lineage" }],
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
    expect(match(links.registries())).toEqual({ name: "registries", params: {} });
    expect(match(links.registry("a b/c"))).toEqual({ name: "registry", params: { registry: "a b/c" } });
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

describe("routeView: registries", () => {
  const view = (path: string) => routeView(match(path), "");
  const labels = (path: string) => view(path).crumbs.map((c) => c.label);

  test("the top navigation's active entry", () => {
    expect(view("/").nav).toBe("projects");
    expect(view("/admin/zoo/artifacts").nav).toBe("projects");
    expect(view("/admin/zoo/artifacts/model/m/v0").nav).toBe("projects");
    expect(view("/registries").nav).toBe("registries");
    expect(view("/registries/model").nav).toBe("registries");
    expect(view("/registry/model/artifacts/model/X").nav).toBe("registries");
    expect(view("/nothing/at/all/here/x/y/z").nav).toBe("projects");
  });

  test("breadcrumbs say Registries / model / collection / version, not registry / model", () => {
    expect(labels("/registries")).toEqual(["Registries"]);
    expect(labels("/registries/model")).toEqual(["Registries", "model"]);
    expect(labels("/registry/model")).toEqual(["Registries", "model"]);
    expect(labels("/registry/model/artifacts")).toEqual(["Registries", "model"]);
    expect(labels("/registry/model/artifacts/model/Zoo_Classifier_Models")).toEqual(["Registries", "model", "Zoo_Classifier_Models"]);
    expect(labels("/registry/model/artifacts/model/Zoo_Classifier_Models/v0/lineage")).toEqual(["Registries", "model", "Zoo_Classifier_Models", "v0"]);
    const v = view("/registry/model/artifacts/model/Zoo_Classifier_Models/v0");
    expect(v.crumbs.map((c) => c.href)).toEqual(["/registries", "/registries/model", "/registry/model/artifacts/model/Zoo_Classifier_Models", undefined]);
    expect(v.registry).toBe("model");
    expect(v.project).toBeUndefined();
    expect(v.title).toBe("Zoo_Classifier_Models:v0 · model · Registries");
    // An ordinary project keeps its crumbs and bar.
    const o = view("/admin/zoo/artifacts/model/zoo-ylbchv20/v0");
    expect(o.crumbs.map((c) => c.label)).toEqual(["admin", "zoo", "Artifacts", "model", "zoo-ylbchv20", "v0"]);
    expect(o.project).toEqual({ entity: "admin", project: "zoo", section: "artifacts" });
    expect(o.registry).toBeUndefined();
  });

  test("registryCrumbs: the registry is a link unless it is the page", () => {
    expect(registryCrumbs("m")).toEqual([{ label: "Registries", href: "/registries" }, { label: "m", href: "/registries/m" }]);
    expect(registryCrumbs("m", true)[1].href).toBeUndefined();
  });
});
