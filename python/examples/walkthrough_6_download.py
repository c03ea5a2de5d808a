import trove as wandb

# artifacts-walkthrough.md, "Using and downloading artifacts": use a stored
# artifact, download it all or one file, construct and use an artifact, and
# download outside of a run.
#
# Filled in here: the run, the file name given to get_path (bicycle-data.h5,
# logged by walkthrough_1_log.py) and model.h5 (written here). The sample's
# wandb.Artifact('reference model') is invalid twice over: an artifact name
# has no spaces, and the type is required; it becomes
# wandb.Artifact('reference-model', type='model'). The sample's
# 'entity/project/artifact:alias' is the entity and project of this run and
# bike-dataset:latest.

import os

with open("model.h5", "w") as f:
    f.write("reference weights\n")

run = wandb.init(job_type='evaluate')

artifact = run.use_artifact('bike-dataset:latest')
datadir = artifact.download(root=None)
print("downloaded", artifact.name, "to", os.path.relpath(datadir), sorted(os.listdir(datadir)))

name = 'bicycle-data.h5'
artifact = run.use_artifact('bike-dataset:v0')
path = artifact.get_path(name)
local = path.download()
with open(local) as f:
    print("entry", path.path, "ref", repr(path.ref or ""), "first line", f.readline().strip())

refs = run.use_artifact('bucket-references:latest')
entry = refs.get_entry(refs.files()[0].path)
print("reference entry", entry.path, "ref", entry.ref.startswith("file://"))

artifact = wandb.Artifact('reference-model', type='model')
artifact.add_file('model.h5')
run.use_artifact(artifact)
print("used", artifact.name)
run.use_artifact(artifact)  # idempotent: still one version
print("versions of reference-model", [v.name for v in wandb.Api().artifact_versions('model', 'reference-model')])

entity, project = run.entity, run.project
run.finish()

api = wandb.Api()
artifact = api.artifact('{}/{}/bike-dataset:latest'.format(entity, project))
artifact.download()
print("downloaded", artifact.qualified_name, "to", os.path.relpath(os.path.join("artifacts", artifact.name)))
