import trove as wandb

# registry-lineage.md, "Track the outputs of a run": log an artifact as the
# output of a run. Run it before registry_2_use_input.py, which uses it.
#
# Filled in here: the page's placeholders, with the zoo example of its
# picture: project zoo (TROVE_PROJECT when set), the entity in effect
# (TROVE_ENTITY when set), the dataset split_zoo_dataset with the file
# zoo.csv (written here) as split/train.csv. The sample's
# `wandb.init(entity  "<entity>", ...)` lacks its "=" (a syntax error): it is
# `entity = ...` here.

import os

project = os.environ.get("TROVE_PROJECT") or "zoo"
entity = os.environ.get("TROVE_ENTITY") or None

with open("zoo.csv", "w") as f:
    f.write("animal,hair,feathers,eggs,legs,class\naardvark,1,0,0,4,1\nchicken,0,1,1,2,2\n")

# Initialize a run
run = wandb.init(entity = entity, project = project,)
artifact = wandb.Artifact(name = "split_zoo_dataset", type = "dataset")
artifact.add_file(local_path = "zoo.csv", name="split/train.csv")

# Log the artifact as an output of the run
run.log_artifact(artifact_or_path = artifact)
run.finish()
print("logged", artifact.qualified_name)
