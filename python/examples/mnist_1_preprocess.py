import trove as wandb

# model-lineage.md shows the run that made mnist_dataset:v0 (jumping-monkey-1
# in its picture) but not its code: this is that run. It logs
# mnist_dataset:v0, a dataset with a table train_table of columns x_train
# (28x28 images) and y_train (their digits), which mnist_2_train.py uses.
#
# No download: the "images" are drawn here, a digit d as a bar d+1 pixels
# wide with a little noise, deterministic so that every run logs the same
# content (and so the same version).

import os
import random

project = os.environ.get("TROVE_PROJECT") or "mnist"
entity = os.environ.get("TROVE_ENTITY") or None
model_use_case_id = "mnist"

rng = random.Random(0)


def image(digit):
    return [[255 if c < digit + 1 else rng.randrange(0, 16) for c in range(28)] for _ in range(28)]


y_train = [i % 10 for i in range(60)]
x_train = [image(d) for d in y_train]

run = wandb.init(project=project, entity=entity, job_type="preprocess",
                 config={"normalize": False, "image_size": 28, "rows": len(y_train)})

train_table = wandb.Table(columns=["x_train", "y_train"])
for x, y in zip(x_train, y_train):
    train_table.add_data(x, y)

artifact = wandb.Artifact("{}_dataset".format(model_use_case_id), type="dataset",
                          description="MNIST-like digits, 28x28, drawn as bars",
                          metadata={"rows": len(y_train), "classes": 10})
artifact.add(train_table, "train_table")
run.log_artifact(artifact)
run.finish()
print("logged", artifact.qualified_name)
