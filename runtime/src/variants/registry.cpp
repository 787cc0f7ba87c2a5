// The registry: registry.def expanded into the table every lookup reads.
#include "variant.h"

#include <stdexcept>

#include "message_text.h"

namespace convforge {

// Each variant's file defines <name>_variant().
#define CONVFORGE_VARIANT(name) const VariantDefinition &name##_variant();
#include "registry.def"
#undef CONVFORGE_VARIANT

namespace {

// The registry line is the name: a definition answering to another is a bug.
std::vector<const VariantDefinition *> checked_registry() {
    const std::vector<std::pair<const char *, const VariantDefinition *>> lines = {
#define CONVFORGE_VARIANT(name) {#name, &name##_variant()},
#include "registry.def"
#undef CONVFORGE_VARIANT
    };
    std::vector<const VariantDefinition *> all;
    for (const auto &[name, definition] : lines) {
        if (std::string(definition->name()) != name)
            throw std::logic_error(std::string("variant registered as '") + name + "' calls itself '" +
                                   definition->name() + "'");
        all.push_back(definition);
    }
    return all;
}

}  // namespace

const std::vector<const VariantDefinition *> &registered_variants() {
    static const std::vector<const VariantDefinition *> all = checked_registry();
    return all;
}

const VariantDefinition &find_variant(const std::string &name, const std::string &origin) {
    std::string known;
    for (const VariantDefinition *v : registered_variants()) {
        if (name == v->name()) return *v;
        known += std::string(known.empty() ? "" : ", ") + v->name();
    }
    throw Error(origin + ": unknown variant " + excerpt(name) + " (known: " + known + ")");
}

BuiltinKernel find_builtin_kernel(const std::string &name) {
    std::string known;
    for (const VariantDefinition *v : registered_variants()) {
        for (const BuiltinKernel &k : v->builtin_kernels()) {
            if (k.name == name) return k;
            known += (known.empty() ? "" : ", ") + k.name;
        }
    }
    throw Error("no built-in kernel " + excerpt(name) + " (known: " + known + ")");
}

std::vector<std::string> variant_names() {
    std::vector<std::string> names;
    for (const VariantDefinition *v : registered_variants()) names.push_back(v->name());
    return names;
}

const char *field_kind_text(FieldKind kind) {
    switch (kind) {
    case FieldKind::Integer: return "an integer in [-2^30, 2^30]";
    case FieldKind::Boolean: return "true or false";
    case FieldKind::Number: break;
    }
    return "a finite number";
}

double variant_param(const LayerSpec &spec, const VariantParam &param, const std::string &origin) {
    const auto it = spec.params.find(param.name);
    return it != spec.params.end() ? it->second : param.default_value(spec, origin);
}

void apply_variant_defaults(LayerSpec &spec, const std::string &origin) {
    for (const VariantParam &p : find_variant(spec.variant, origin).params()) {
        if (!spec.params.count(p.name)) spec.params[p.name] = p.default_value(spec, origin);
    }
}

double variant_param(const LayerSpec &spec, const char *name, const std::string &origin) {
    for (const VariantParam &p : find_variant(spec.variant, origin).params()) {
        if (std::string(p.name) == name) return variant_param(spec, p, origin);
    }
    throw Error(origin + ": variant '" + spec.variant + "' has no field '" + name + "'");
}

}  // namespace convforge
