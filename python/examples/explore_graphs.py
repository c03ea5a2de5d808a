import trove as wandb

# explore-artifact-graphs.md, "Track lineage with the API": log an artifact in
# a run, then walk the graph from it with logged_by and used_by.
#
# Filled in here: the sample's "artifact_name" and "artifact_type" are
# image-samples and dataset, and the file image1.png is written here (a
# one-pixel PNG).

import base64

with open("image1.png", "wb") as f:
    f.write(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))

with wandb.init() as run:
    artifact = wandb.Artifact("image-samples", "dataset")

    # Add files and assets to the artifact using
    # `.add`, `.add_file`, `.add_dir`, and `.add_reference`
    artifact.add_file("image1.png")
    run.log_artifact(artifact)

# Walk up and down the graph from an artifact:
producer_run = artifact.logged_by()
consumer_runs = artifact.used_by()
print("logged", artifact.name, "by run", producer_run.id == run.id)
print("used by", len(consumer_runs), "runs")

# One more run uses it: used_by finds it.
with wandb.init(job_type="inspect") as reader:
    reader.use_artifact("image-samples:latest")
print("used by", [r.id == reader.id for r in artifact.used_by()])
