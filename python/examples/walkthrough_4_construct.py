import trove as wandb

# artifacts-walkthrough.md, "Constructing artifacts": the four ways to add
# content, then each row of the page's two tables (files and directories;
# references), logged and listed.
#
# Filled in here: the project directory of the page (images/cat.png,
# images/dog.png, checkpoints/model.h5, model.h5) is written first. The
# reference table's s3://my-bucket is a local directory with the same layout,
# referenced as file:// (S3 and GCS references work the same way with a
# bucket; a fresh machine has none). In the first sample the page names both
# the added file and the reference 'optional-name'; one artifact cannot hold
# two entries of one name, so the reference is named 'optional-ref-name'.

import os

for root in ("project-directory", "my-bucket"):
    for name, content in [("images/cat.png", "a cat"), ("images/dog.png", "a dog"),
                          ("checkpoints/model.h5", "checkpoint weights"), ("model.h5", "final weights")]:
        os.makedirs(os.path.join(root, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(root, name), "w") as f:
            f.write("{} in {}\n".format(content, root))
bucket = "file://" + os.path.abspath("my-bucket")  # stands in for s3://my-bucket
os.chdir("project-directory")

run = wandb.init(job_type='construct')

artifact = wandb.Artifact('bike-dataset', type='dataset')

path, name, uri = 'model.h5', 'hello.txt', bucket + '/checkpoints/model.h5'
# Add a single file
artifact.add_file(path, name='optional-name')
# Recursively add a directory
artifact.add_dir('images', name='optional-prefix')
# Return a writeable file-like object, stored as <name> in the artifact
with artifact.new_file(name) as f:
    f.write("hello\n")  # Write contents into the file
# Add a URI reference
artifact.add_reference(uri, name='optional-ref-name')

run.log_artifact(artifact)
print("logged", artifact.name)
for entry in artifact.files():
    print("  ", entry.path, entry.ref or "")


def new_file(artifact):
    with artifact.new_file('hello.txt') as f:
        f.write("hello\n")


files_table = [
    ("artifact.add_file('model.h5')", lambda artifact: artifact.add_file('model.h5')),
    ("artifact.add_file('checkpoints/model.h5')", lambda artifact: artifact.add_file('checkpoints/model.h5')),
    ("artifact.add_file('model.h5', name='models/mymodel.h5')",
     lambda artifact: artifact.add_file('model.h5', name='models/mymodel.h5')),
    ("artifact.add_dir('images')", lambda artifact: artifact.add_dir('images')),
    ("artifact.add_dir('images', name='images')", lambda artifact: artifact.add_dir('images', name='images')),
    ("artifact.new_file('hello.txt')", new_file),
]
references_table = [
    ("artifact.add_reference('s3://my-bucket/model.h5')",
     lambda artifact: artifact.add_reference(bucket + '/model.h5')),
    ("artifact.add_reference('s3://my-bucket/checkpoints/model.h5')",
     lambda artifact: artifact.add_reference(bucket + '/checkpoints/model.h5')),
    ("artifact.add_reference('s3://my-bucket/model.h5', name='models/mymodel.h5')",
     lambda artifact: artifact.add_reference(bucket + '/model.h5', name='models/mymodel.h5')),
    ("artifact.add_reference('s3://my-bucket/images')",
     lambda artifact: artifact.add_reference(bucket + '/images')),
    ("artifact.add_reference('s3://my-bucket/images', name='images')",
     lambda artifact: artifact.add_reference(bucket + '/images', name='images')),
]

for collection, table in (("project-files", files_table), ("bucket-references", references_table)):
    for call, add in table:
        artifact = wandb.Artifact(collection, type='dataset')
        add(artifact)
        run.log_artifact(artifact)
        print("{} -> {}: {}".format(call, artifact.name, " ".join(e.path for e in artifact.files())))

run.finish()
