"""odconv: ODConv (omni-dimensional dynamic convolution), eval mode, as the official
ODConv2d (OSVAI/ODConv) runs it: the attention (GAP, fc, BatchNorm, ReLU, then the
channel, filter, spatial and kernel heads over the temperature; a head the official
code skips is 1), the input scaled by the channel attention, each image's kernel
aggregated from the experts by the spatial and kernel attentions and applied with
the batch folded into the conv's groups, the output scaled by the filter attention."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue, geometry


def forward(spec, w, x):
    n, c, h, width = x.shape
    g = geometry(spec)
    k = spec["kernel_size"]
    out_channels = spec["out_channels"]
    experts = spec.get("num_experts", 4)
    t = spec.get("temperature", 1.0)
    weight = w["weight"]  # (E, O, C/g, k, k)

    a = F.conv2d(F.adaptive_avg_pool2d(x, 1), w["attention.fc.weight"])
    a = F.batch_norm(a, w["attention.bn.running_mean"], w["attention.bn.running_var"], w["attention.bn.weight"],
                     w["attention.bn.bias"], training=False, eps=spec.get("attention_bn_eps", 1e-5))
    a = F.relu(a)

    def head(name):
        return F.conv2d(a, w["attention." + name + ".weight"], w["attention." + name + ".bias"])

    channel = torch.sigmoid(head("channel_fc").view(n, -1, 1, 1) / t)
    depthwise = c == g["groups"] and out_channels == c
    filt = 1.0 if depthwise else torch.sigmoid(head("filter_fc").view(n, -1, 1, 1) / t)
    spatial = 1.0 if k == 1 else torch.sigmoid(head("spatial_fc").view(n, 1, 1, 1, k, k) / t)
    kernel = 1.0 if experts == 1 else F.softmax(head("kernel_fc").view(n, -1, 1, 1, 1, 1) / t, dim=1)

    if k == 1 and experts == 1:  # the official _forward_impl_pw1x: one kernel for the batch
        z = F.conv2d(x * channel, weight.squeeze(dim=0), None, **g)
        return epilogue(z * filt, spec, w)
    xs = (x * channel).reshape(1, -1, h, width)
    aggregate = torch.sum(spatial * kernel * weight.unsqueeze(dim=0), dim=1).view(-1, c // g["groups"], k, k)
    z = F.conv2d(xs, aggregate, None, stride=g["stride"], padding=g["padding"], dilation=g["dilation"],
                 groups=g["groups"] * n)
    z = z.view(n, out_channels, z.size(-2), z.size(-1)) * filt
    return epilogue(z, spec, w)
