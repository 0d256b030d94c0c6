"""Make ONNX speech models deterministic: replace their random-noise nodes with fixed noise.

VITS-style models (Piper) draw Gaussian noise inside the graph (``RandomNormalLike``), so the
same text gives different audio on every call and byte-identical reruns are impossible.
:func:`fix_random_nodes` swaps each such node for a slice of a constant noise tensor drawn once
from a seeded generator: the audio is still a sample of the model's noise (same distribution),
but the same text now always gives the same samples, on any machine and in any call order.
"""

from __future__ import annotations

import numpy as np

#: the constant noise block; tiled along any axis that a run needs longer
_BLOCK = (1, 256, 2048)


def fix_random_nodes(model, seed: int = 0) -> int:
    """Replace ``RandomNormalLike``/``RandomUniformLike`` nodes of a rank-3 tensor in place.

    Returns the number of nodes replaced. ``model`` is an ``onnx.ModelProto``.
    """
    from onnx import helper, numpy_helper

    rng = np.random.Generator(np.random.PCG64(seed))
    graph = model.graph
    replaced = 0
    new_nodes = []
    for node in graph.node:
        if node.op_type not in ("RandomNormalLike", "RandomUniformLike"):
            new_nodes.append(node)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "RandomNormalLike":
            block = rng.standard_normal(_BLOCK) * attrs.get("scale", 1.0) + attrs.get("mean", 0.0)
        else:
            lo, hi = attrs.get("low", 0.0), attrs.get("high", 1.0)
            block = rng.uniform(lo, hi, _BLOCK)
        p = f"{node.name or node.output[0]}/fixed"
        const = numpy_helper.from_array(block.astype(np.float32), f"{p}/block")
        dims = numpy_helper.from_array(np.array(_BLOCK, dtype=np.int64), f"{p}/dims")
        dims_m1 = numpy_helper.from_array(np.array(_BLOCK, dtype=np.int64) - 1, f"{p}/dims_m1")
        zeros = numpy_helper.from_array(np.zeros(3, dtype=np.int64), f"{p}/zeros")
        graph.initializer.extend([const, dims, dims_m1, zeros])
        src = node.input[0]
        new_nodes.extend(
            [
                helper.make_node("Shape", [src], [f"{p}/shape"]),
                helper.make_node("Add", [f"{p}/shape", f"{p}/dims_m1"], [f"{p}/up"]),
                helper.make_node("Div", [f"{p}/up", f"{p}/dims"], [f"{p}/reps"]),
                helper.make_node("Tile", [f"{p}/block", f"{p}/reps"], [f"{p}/tiled"]),
                helper.make_node(
                    "Slice", [f"{p}/tiled", f"{p}/zeros", f"{p}/shape"], [node.output[0]]
                ),
            ]
        )
        replaced += 1
    if replaced:
        del graph.node[:]
        graph.node.extend(new_nodes)

    return replaced
