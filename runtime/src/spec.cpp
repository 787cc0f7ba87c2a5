#include <algorithm>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "file_io.h"
#include "layer_limits.h"
#include "size_limits.h"
#include "message_text.h"
#include "spec_checks.h"
#include "strict_json.h"
#include "variant.h"

namespace convforge {

namespace {

using json = nlohmann::json;

class Fields {
public:
    Fields(const json &obj, std::string origin) : obj_(obj), origin_(std::move(origin)) {}

    int integer(const std::string &name, int fallback, bool required = false) {
        seen_.insert(name);
        if (!obj_.contains(name)) {
            if (required) throw Error(origin_ + ": missing required field '" + name + "'");
            return fallback;
        }
        const json &v = obj_.at(name);
        if (!v.is_number_integer())
            throw Error(origin_ + ": field '" + name + "' must be a JSON integer, got " + json_excerpt(v));
        // An unsigned value above INT64_MAX reads back negative: compare it as unsigned first.
        const bool too_big = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(limits::kMaxSpecInteger);
        const int64_t value = too_big ? 0 : v.get<int64_t>();
        if (too_big || value < -limits::kMaxSpecInteger || value > limits::kMaxSpecInteger)
            throw Error(origin_ + ": field '" + name + "' is " + json_excerpt(v) + ", outside [-2^30, 2^30]");
        return static_cast<int>(value);
    }

    bool boolean(const std::string &name, bool fallback) {
        seen_.insert(name);
        if (!obj_.contains(name)) return fallback;
        const json &v = obj_.at(name);
        if (!v.is_boolean()) throw Error(origin_ + ": field '" + name + "' must be true or false, got " + json_excerpt(v));
        return v.get<bool>();
    }

    double number(const std::string &name, double fallback) {
        seen_.insert(name);
        if (!obj_.contains(name)) return fallback;
        const json &v = obj_.at(name);
        if (!v.is_number()) throw Error(origin_ + ": field '" + name + "' must be a number, got " + json_excerpt(v));
        return v.get<double>();
    }

    std::string text(const std::string &name, const std::string &fallback, bool required = false) {
        seen_.insert(name);
        if (!obj_.contains(name)) {
            if (required) throw Error(origin_ + ": missing required field '" + name + "'");
            return fallback;
        }
        const json &v = obj_.at(name);
        if (!v.is_string()) throw Error(origin_ + ": field '" + name + "' must be a string, got " + json_excerpt(v));
        return v.get<std::string>();
    }

    bool has(const std::string &name) const { return obj_.contains(name); }
    const json &raw(const std::string &name) {
        seen_.insert(name);
        return obj_.at(name);
    }

    void reject_unknown() const {
        for (const auto &item : obj_.items()) {
            if (!seen_.count(item.key())) throw Error(origin_ + ": unknown field " + excerpt(item.key()));
        }
    }

private:
    const json &obj_;
    std::string origin_;
    std::set<std::string> seen_;
};

template <typename T>
T lookup_name(const std::map<std::string, T> &names, const std::string &name, const std::string &what,
              const std::string &origin) {
    auto it = names.find(name);
    if (it != names.end()) return it->second;
    std::string known;
    for (const auto &[n, _] : names) known += (known.empty() ? "" : ", ") + n;
    throw Error(origin + ": unknown " + what + " " + excerpt(name) + " (known: " + known + ")");
}

void require_positive(int value, const char *name, const std::string &origin) {
    if (value < 1) throw Error(origin + ": field '" + std::string(name) + "' must be >= 1, got " + std::to_string(value));
}

EpilogueSpec parse_epilogue(const json &obj, const std::string &origin) {
    if (!obj.is_object()) throw Error(origin + ": field 'epilogue' must be an object");
    Fields f(obj, origin + ": epilogue");
    EpilogueSpec e;
    e.batchnorm = f.boolean("batchnorm", false);
    e.bn_eps = f.number("bn_eps", 1e-5);
    e.activation = lookup_name(activation_kinds(), f.text("activation", "identity"), "activation", origin);
    f.reject_unknown();
    return e;
}

// A variant field's value in a spec built in code: what the parser accepts.
void check_variant_param(const VariantParam &p, double value, const std::string &origin) {
    const bool integer = p.kind != FieldKind::Number;
    const bool valid = std::isfinite(value) && (!integer || (value == std::floor(value) && std::fabs(value) <= limits::kMaxSpecInteger)) &&
                       (p.kind != FieldKind::Boolean || value == 0 || value == 1);
    if (!valid)
        throw Error(origin + ": field '" + p.name + "' is " + number_text(value) + ", not " +
                    field_kind_text(p.kind));
}

}  // namespace

const std::map<std::string, ActivationKind> &activation_kinds() {
    static const std::map<std::string, ActivationKind> names = {
#define CONVFORGE_ACTIVATION(kind, name) {#name, ActivationKind::kind},
#include "convforge/activations.def"
#undef CONVFORGE_ACTIVATION
    };
    return names;
}

const char *activation_name(ActivationKind a) {
    for (const auto &[name, value] : activation_kinds()) {
        if (value == a) return name.c_str();
    }
    return "?";
}

LayerSpec parse_layer_spec(const std::string &text, const std::string &origin) {
    const json doc = parse_json_strict(text, origin);
    if (!doc.is_object()) throw Error(origin + ": a layer spec must be a JSON object");
    Fields f(doc, origin);
    LayerSpec s;
    s.variant = f.text("variant", "", true);
    const VariantDefinition &variant = find_variant(s.variant, origin);
    s.in_channels = f.integer("in_channels", 0, true);
    s.out_channels = f.integer("out_channels", 0, true);
    s.kernel_size = f.integer("kernel_size", 0, true);
    s.stride = f.integer("stride", 1);
    s.dilation = f.integer("dilation", 1);
    if (!f.has("padding") && s.dilation >= 1 && s.kernel_size >= 1) {
        // The default, dilation * (kernel_size - 1) / 2, must itself be a valid field value.
        const int64_t padding = int64_t(s.dilation) * (int64_t(s.kernel_size) - 1) / 2;
        if (padding > limits::kMaxSpecInteger)
            throw Error(origin + ": no 'padding' given, and its default dilation * (kernel_size - 1) / 2 = " +
                        std::to_string(padding) + " is not a valid padding (at most 2^30)");
        s.padding = int(padding);
    }
    s.padding = f.integer("padding", s.padding);
    s.groups = f.integer("groups", variant.default_groups());
    s.bias = f.boolean("bias", false);
    if (f.has("epilogue")) s.epilogue = parse_epilogue(f.raw("epilogue"), origin);
    for (const VariantParam &p : variant.params()) {
        if (!f.has(p.name)) continue;
        switch (p.kind) {
        case FieldKind::Integer: s.params[p.name] = f.integer(p.name, 0); break;
        case FieldKind::Boolean: s.params[p.name] = f.boolean(p.name, false) ? 1 : 0; break;
        case FieldKind::Number: s.params[p.name] = f.number(p.name, 0); break;
        }
    }
    apply_variant_defaults(s, origin);  // after every field is read: defaults may depend on any of them
    f.reject_unknown();
    check_layer_spec(s, origin);
    return s;
}

void check_layer_spec(const LayerSpec &s, const std::string &origin) {
    // A parsed spec is inside these bounds already; one built in code may not be.
    const VariantDefinition &variant = find_variant(s.variant, origin);
    for (const auto &[name, value] : {std::pair<const char *, int>{"in_channels", s.in_channels}, {"out_channels", s.out_channels},
                                      {"kernel_size", s.kernel_size}, {"stride", s.stride}, {"padding", s.padding},
                                      {"dilation", s.dilation}, {"groups", s.groups}}) {
        if (value > limits::kMaxSpecInteger)
            throw Error(origin + ": field '" + name + "' is " + std::to_string(value) + ", more than 2^30");
    }
    require_positive(s.in_channels, "in_channels", origin);
    require_positive(s.out_channels, "out_channels", origin);
    require_positive(s.kernel_size, "kernel_size", origin);
    require_positive(s.stride, "stride", origin);
    require_positive(s.dilation, "dilation", origin);
    require_positive(s.groups, "groups", origin);
    if (s.padding < 0) throw Error(origin + ": field 'padding' must be >= 0, got " + std::to_string(s.padding));
    for (const auto &[name, value] : s.params) {
        bool known = false;
        for (const VariantParam &p : variant.params()) {
            if (name != p.name) continue;
            check_variant_param(p, value, origin);
            known = true;
        }
        if (!known) throw Error(origin + ": variant '" + s.variant + "' has no field " + excerpt(name));
    }
    variant.check_groups(s, origin);
    variant.check(s, origin);
    if (std::string(activation_name(s.epilogue.activation)) == "?") {
        std::string known;
        for (const auto &[name, kind] : activation_kinds()) known += (known.empty() ? "" : ", ") + name;
        throw Error(origin + ": epilogue activation " + std::to_string(int(s.epilogue.activation)) + " is not one of " +
                    known);
    }
    if (!(s.epilogue.bn_eps > 0) || !std::isfinite(s.epilogue.bn_eps))
        throw Error(origin + ": epilogue field 'bn_eps' must be a finite number > 0");
    check_spec_sizes(s, origin);
}

void VariantDefinition::check_groups(const LayerSpec &s, const std::string &origin) const {
    if (s.in_channels % s.groups || s.out_channels % s.groups)
        throw Error(origin + ": in_channels " + std::to_string(s.in_channels) + " and out_channels " +
                    std::to_string(s.out_channels) + " must both be divisible by groups " + std::to_string(s.groups));
}

LayerSpec load_layer_spec(const std::string &path) {
    return parse_layer_spec(read_text_file(path, "spec file", limits::kMaxSpecFileBytes), path_text(path));
}

std::vector<int64_t> output_shape(const LayerSpec &s, const std::vector<int64_t> &in) {
    check_layer_spec(s, "layer spec");  // a spec built in code has not been checked yet
    if (in.size() != 4) throw Error("input must be rank 4 (NCHW), got rank " + std::to_string(in.size()));
    if (in[1] != s.in_channels)
        throw Error("input has " + std::to_string(in[1]) + " channels but the spec's in_channels is " +
                    std::to_string(s.in_channels));
    for (size_t d = 0; d < 4; ++d) {
        if (in[d] < 1 || in[d] > limits::kMaxDimension)
            throw Error("input dimension " + std::to_string(d) + " (NCHW) is " + std::to_string(in[d]) +
                        ", must be between 1 and 2^30");
    }
    // Every operand is at most 2^30 here, so these int64 sums cannot overflow.
    const int64_t reach = int64_t(s.dilation) * (int64_t(s.kernel_size) - 1) + 1, pad2 = 2 * int64_t(s.padding);
    const int64_t out_h = conv_output_extent(in[2], s), out_w = conv_output_extent(in[3], s);
    if (in[2] + pad2 < reach || in[3] + pad2 < reach || out_h < 1 || out_w < 1)
        throw Error("input " + std::to_string(in[2]) + "x" + std::to_string(in[3]) +
                    " is too small for kernel_size " + std::to_string(s.kernel_size) + " with dilation " +
                    std::to_string(s.dilation) + " and padding " + std::to_string(s.padding) + " (empty output)");
    find_variant(s.variant).check_input(s, in);
    const std::vector<int64_t> out = {in[0], s.out_channels, out_h, out_w};
    check_activation_sizes(s, in, out);
    return out;
}

}  // namespace convforge
