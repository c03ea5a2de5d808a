import trove as wandb

# model-lineage.md, "Track an artifact dependency": a run declares an
# artifact as its input with use_artifact. Here it is the evaluation run of
# the page's picture (serene-haze-6): it uses mnist_model:v0 (logged by
# mnist_2_train.py) and evaluates it.
#
# Filled in here: project and entity from the environment, the name
# mnist_model and the alias v0; job_type="evaluate" is added to the sample's
# wandb.init so that the run is an evaluation in the lineage.

import json
import os

project = os.environ.get("TROVE_PROJECT") or "mnist"
entity = os.environ.get("TROVE_ENTITY") or None

# Initialize a run
run = wandb.init(project=project, entity=entity, job_type="evaluate")

# Get the artifact and mark it as a dependency
artifact = run.use_artifact(artifact_or_name="mnist_model", aliases="v0")

model_dir = artifact.download()
with open(os.path.join(model_dir, "model.h5")) as f:
    model = json.load(f)
print("used", artifact.name, "a", model["kind"], "model of", len(model["centroids"]), "classes")
run.finish()
