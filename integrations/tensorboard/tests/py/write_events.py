"""Writes event files with the official `tensorboard` package's writer and
prints, as JSON, every event read back by TensorBoard's own record reader
(MessageToDict form). Usage: write_events.py LOGDIR"""
import io
import json
import os
import sys

import numpy as np
from google.protobuf.json_format import MessageToDict
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
from tensorboard.plugins.histogram import metadata as hist_md
from tensorboard.plugins.image import metadata as image_md
from tensorboard.plugins.pr_curve import metadata as pr_md
from tensorboard.plugins.scalar import metadata as scalar_md
from tensorboard.plugins.text import metadata as text_md
from tensorboard.summary.writer import event_file_writer
from tensorboard.util import tensor_util

logdir = sys.argv[1]
rng = np.random.default_rng(1234)
w = event_file_writer.EventFileWriter(logdir)
t0 = 1795305028.0


def emit(step, i, *values):
    w.add_event(event_pb2.Event(wall_time=t0 + i * 0.001, step=step, summary=Summary(value=list(values))))


specials = [0.0, -0.0, 1e-45, 3.4028235e38, float("nan"), float("inf"), float("-inf"), 1 / 3]
i = 0
for step in [0, 1, 2, -5, 2**40, 7]:
    for j, x in enumerate(specials):
        emit(step, i, Summary.Value(tag="scalars/s%d" % j, simple_value=x))
        i += 1
for step in range(200):
    x = float(rng.normal())
    emit(step, i, Summary.Value(tag="loss", simple_value=x))
    emit(step, i + 1, Summary.Value(tag="acc", metadata=scalar_md.create_summary_metadata(display_name="acc", description="d"),
                                    tensor=tensor_util.make_tensor_proto(np.float32(x))))
    emit(step, i + 2, Summary.Value(tag="lr", tensor=tensor_util.make_tensor_proto(np.float64(x / 7))))
    i += 3
data = rng.normal(size=1000)
edges = np.linspace(data.min(), data.max(), 31)
counts, _ = np.histogram(data, bins=edges)
emit(3, i, Summary.Value(tag="hist", metadata=hist_md.create_summary_metadata(display_name="hist", description=""),
                         tensor=tensor_util.make_tensor_proto(np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1))))
emit(3, i + 1, Summary.Value(tag="hist_legacy", histo=HistogramProto(min=float(data.min()), max=float(data.max()), num=1000.0,
                                                                      sum=float(data.sum()), sum_squares=float((data * data).sum()),
                                                                      bucket_limit=[float(e) for e in edges], bucket=[0.0] + [float(c) for c in counts])))
import base64  # noqa: E402
png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAUAAAAECAIAAADJUWIXAAAAEElEQVR4nGNgwAr+YxfGBAApFwEAURGFwgAAAABJRU5ErkJggg==")
emit(4, i + 2, Summary.Value(tag="img", image=Summary.Image(height=4, width=5, colorspace=3, encoded_image_string=png)))
emit(4, i + 3, Summary.Value(tag="img_t", metadata=image_md.create_summary_metadata(display_name="img_t", description="", converted_to_tensor=True),
                             tensor=tensor_util.make_tensor_proto(np.array([b"5", b"4", png], dtype=object))))
emit(5, i + 4, Summary.Value(tag="note", metadata=text_md.create_summary_metadata(display_name="note", description=""),
                             tensor=tensor_util.make_tensor_proto(np.array("héllo *world*".encode(), dtype=object))))
pr = rng.random((6, 9)).astype(np.float32)
emit(6, i + 5, Summary.Value(tag="pr", metadata=pr_md.create_summary_metadata(display_name="pr", description="", num_thresholds=9),
                             tensor=tensor_util.make_tensor_proto(pr)))
emit(6, i + 6, Summary.Value(tag="ints", tensor=tensor_util.make_tensor_proto(np.arange(6, dtype=np.int64).reshape(2, 3))))
w.flush()
w.close()

(name,) = [n for n in os.listdir(logdir) if "tfevents" in n]
events = []
for raw in event_file_loader.RawEventFileLoader(os.path.join(logdir, name)).Load():
    events.append(MessageToDict(event_pb2.Event.FromString(raw), preserving_proto_field_name=True))
print(json.dumps({"file": name, "events": events}))
