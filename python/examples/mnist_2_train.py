import trove as wandb

# model-lineage.md, "Example: train a model and track the dataset as its
# input": uses mnist_dataset:latest (logged by mnist_1_preprocess.py), trains,
# and links the model into the registry collection MNIST-dev with link_model,
# which logs it as mnist_model:v0.
#
# Changed from the sample: the Keras model (and sklearn's train_test_split,
# keras.utils.to_categorical, WandbCallback) is replaced by a few lines of
# standard Python that "train" a nearest-centroid classifier and write it to
# model.h5 (as JSON). The sample's free variables project, entity and
# model_use_case_id are set from the environment. get_column converts to numpy
# arrays when numpy is installed; without numpy it returns lists.

import json
import os

project = os.environ.get("TROVE_PROJECT") or "mnist"
entity = os.environ.get("TROVE_ENTITY") or None
model_use_case_id = "mnist"
try:
    import numpy  # noqa: F401
    convert_to = "numpy"
except ImportError:
    convert_to = None

job_type = "train_model"

config = {
    "optimizer": "adam",
    "batch_size": 128,
    "epochs": 5,
    "validation_split": 0.1,
}

run = wandb.init(project=project, entity=entity, job_type=job_type, config=config)

version = "latest"
name = "{}:{}".format("{}_dataset".format(model_use_case_id), version)

# highlight-start
artifact = run.use_artifact(name)
# highlight-end

train_table = artifact.get("train_table")
x_train = train_table.get_column("x_train", convert_to=convert_to)
y_train = train_table.get_column("y_train", convert_to=convert_to)

# Store values from the config dictionary in variables for easy access
num_classes = 10
input_shape = (28, 28, 1)
loss = "categorical_crossentropy"
optimizer = run.config["optimizer"]
metrics = ["accuracy"]
batch_size = run.config["batch_size"]
epochs = run.config["epochs"]
validation_split = run.config["validation_split"]

# Instead of the Keras model: split off a validation set, take the mean image
# of each class as its centroid, and measure the accuracy on the validation set.
x_train = [[float(p) for row in x for p in row] for x in x_train]
y_train = [int(y) for y in y_train]
n_val = max(1, int(len(x_train) * validation_split))
x_t, x_v, y_t, y_v = x_train[n_val:], x_train[:n_val], y_train[n_val:], y_train[:n_val]
centroids = []
for c in range(num_classes):
    members = [x for x, y in zip(x_t, y_t) if y == c]
    centroids.append([sum(col) / len(members) for col in zip(*members)])


def predict(x):
    return min(range(num_classes), key=lambda c: sum((a - b) ** 2 for a, b in zip(x, centroids[c])))


accuracy = sum(predict(x) == y for x, y in zip(x_v, y_v)) / len(y_v)
print("validation accuracy", accuracy)

# Save the model locally
path = "model.h5"
with open(path, "w") as f:
    json.dump({"kind": "nearest-centroid", "input_shape": input_shape, "loss": loss, "optimizer": optimizer,
               "metrics": metrics, "batch_size": batch_size, "epochs": epochs, "centroids": centroids}, f)

path = "./model.h5"
registered_model_name = "MNIST-dev"
name = "mnist_model"

# highlight-start
link = run.link_model(path=path, registered_model_name=registered_model_name, name=name)
# highlight-end
run.finish()
print("linked", link.qualified_name if link is not None else None)
print("model", wandb.Api().artifact("{}/{}:latest".format(project, name)).qualified_name)
