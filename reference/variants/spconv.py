"""spconv: SPConv_3x3 (split to be slim), eval mode, as convforge documents it: the
input split by ratio into representative channels (a grouped 3x3 plus a pointwise
conv, bn1) and uncertain ones (a 1x1 conv with bias, bn2), stride 2 through a 2x2
average pool before the pointwise convs, and the two branches mixed by a softmax
over their global averages, per image and output channel."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue


def branch_bn(z, w, name):
    return F.batch_norm(z, w[name + ".running_mean"], w[name + ".running_var"], w[name + ".weight"],
                        w[name + ".bias"], training=False, eps=1e-5)


def forward(spec, w, x):
    c3 = int(spec["in_channels"] * spec.get("ratio", 0.5))
    s, g = spec.get("stride", 1), spec.get("groups", 2)
    x3, x1 = x[:, :c3], x[:, c3:]
    pool = (lambda t: F.avg_pool2d(t, kernel_size=2, stride=2)) if s == 2 else (lambda t: t)
    y3 = F.conv2d(x3, w["gwc.weight"], None, stride=s, padding=1, groups=g) + F.conv2d(pool(x3), w["pwc.weight"])
    y3 = branch_bn(y3, w, "bn1")
    y1 = branch_bn(F.conv2d(pool(x1), w["conv1x1.weight"], w["conv1x1.bias"]), w, "bn2")
    beta = torch.softmax(torch.stack((y3.mean(dim=(2, 3)), y1.mean(dim=(2, 3))), dim=2), dim=2)
    y = y1 * beta[:, :, 1, None, None] + y3 * beta[:, :, 0, None, None]
    return epilogue(y, spec, w)
