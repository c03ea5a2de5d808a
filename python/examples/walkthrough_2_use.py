import trove as wandb

# artifacts-walkthrough.md, section 3: use an artifact (bike-dataset:v0,
# logged by walkthrough_1_log.py), use artifacts of another project and of
# another entity, and use an artifact object built here.
#
# Not in the sample: a first run logs bike-model:v0 into project my-project
# so that the references to it find something on a fresh store. The
# sample's 'my-entity' is the entity in effect (TROVE_ENTITY, else the user
# of the API key, else the OS user), the only one a user can surely write to;
# the file model.h5 is written here.

import os

with open("model.h5", "w") as f:
    f.write("weights: 0.25 0.5 0.125\n")

with wandb.init(project='my-project', job_type='train') as setup:
    model = wandb.Artifact('bike-model', type='model')
    model.add_file('model.h5')
    setup.log_artifact(model)
    print("logged", model.qualified_name)
my_entity = setup.entity

run = wandb.init(job_type='evaluate')

# Query W&B for an artifact and mark it as input to this run
artifact = run.use_artifact('bike-dataset:v0')
# Download the artifact's contents
artifact_dir = artifact.download()
print("used", artifact.name, "downloaded to", os.path.relpath(artifact_dir))
print("files", sorted(os.listdir(artifact_dir)))

# Query W&B for an artifact from another project and mark it
# as an input to this run.
artifact = run.use_artifact('my-project/bike-model:v0')
print("used", artifact.qualified_name)
# Use an artifact from another entity and mark it as an input
# to this run.
artifact = run.use_artifact(my_entity + '/my-project/bike-model:v0')
print("used", artifact.qualified_name)

# Using an artifact object logs it first when its content is new, and is
# idempotent: the second use finds the version the first one made.
artifact = wandb.Artifact('bike-model', type='model')
artifact.add_file('model.h5')
run.use_artifact(artifact)
print("used object", artifact.qualified_name)
artifact = wandb.Artifact('bike-model', type='model')
artifact.add_file('model.h5')
run.use_artifact(artifact)
print("used object again", artifact.qualified_name)

run.finish()
print("inputs", sorted(a.qualified_name for a in run.used_artifacts()))
