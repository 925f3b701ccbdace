"""Reads a log directory with TensorBoard's EventAccumulator (and tbparse)
and prints what they loaded as JSON. Usage: read_events.py LOGDIR"""
import base64
import json
import sys

from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.util import tensor_util

logdir = sys.argv[1]
acc = ea.EventAccumulator(logdir, size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
acc.Reload()
tags = acc.Tags()
out = {"scalars": {}, "histograms": {}, "images": {}, "tensors": {}, "file_version": acc.file_version}
for t in tags["scalars"]:
    out["scalars"][t] = [[e.wall_time, e.step, e.value] for e in acc.Scalars(t)]
for t in tags["histograms"]:
    out["histograms"][t] = [dict(step=e.step, min=e.histogram_value.min, max=e.histogram_value.max, num=e.histogram_value.num,
                                 sum=e.histogram_value.sum, sum_squares=e.histogram_value.sum_squares,
                                 bucket_limit=list(e.histogram_value.bucket_limit), bucket=list(e.histogram_value.bucket))
                            for e in acc.Histograms(t)]
for t in tags["images"]:
    out["images"][t] = [dict(step=e.step, width=e.width, height=e.height,
                             png=base64.b64encode(e.encoded_image_string).decode()) for e in acc.Images(t)]
for t in tags["tensors"]:
    out["tensors"][t] = [dict(step=e.step, plugin=acc.SummaryMetadata(t).plugin_data.plugin_name,
                              value=tensor_util.make_ndarray(e.tensor_proto).tolist()) for e in acc.Tensors(t)]
for k, v in out["tensors"].items():
    for e in v:
        if isinstance(e["value"], bytes):
            e["value"] = e["value"].decode()

from tbparse import SummaryReader  # noqa: E402

df = SummaryReader(logdir, pivot=False).scalars
out["tbparse_scalars"] = [[r["step"], r["tag"], r["value"]] for r in df.to_dict("records")]
print(json.dumps(out))
