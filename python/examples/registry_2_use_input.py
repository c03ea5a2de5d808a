import trove as wandb

# registry-lineage.md, "Track the inputs of a run": use an artifact as the
# input (dependency) of a run; then link it into a registry collection and
# show the lineage, which a link shares with its source.
#
# Filled in here: the page's placeholders (project zoo, or TROVE_PROJECT;
# the entity in effect, or TROVE_ENTITY; split_zoo_dataset, logged by
# registry_1_log_output.py, with alias latest). Not in the sample: the link
# into the dataset registry (collection zoo-splits) and the lineage query
# (Api.lineage, Trove's).

import os

project = os.environ.get("TROVE_PROJECT") or "zoo"
entity = os.environ.get("TROVE_ENTITY") or None

# Initialize a run
run = wandb.init(project=project, entity=entity)

# Get the artifact and mark it as a dependency
artifact = run.use_artifact(artifact_or_name="split_zoo_dataset", aliases="latest")
print("used", artifact.qualified_name)

link = run.link_artifact(artifact, "dataset/zoo-splits", aliases=["training"])
print("linked", link.qualified_name)
run.finish()

graph = wandb.Api().lineage(link.qualified_name)
names = {n["id"]: n["name"] for n in graph["nodes"]}
for edge in graph["edges"]:
    print("edge", names[edge["from"]] if edge["from"].startswith("artifact:") else "run",
          "->", names[edge["to"]] if edge["to"].startswith("artifact:") else "run")
