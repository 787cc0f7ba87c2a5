// prepare_layer: the checks every variant passes, then the variant's own fold.
#include "convforge/convforge.h"
#include "layer_program.h"
#include "layer_weights.h"
#include "spec_checks.h"

namespace convforge {

const LayerProgram &PreparedLayer::program() const {
    if (!program_) throw Error("this PreparedLayer is empty: make layers with prepare_layer");
    return *program_;
}

PreparedLayer prepare_layer(const LayerSpec &spec, const WeightMap &weights) {
    check_layer_spec(spec, "layer spec");
    check_weights(spec, weights);
    const VariantDefinition &variant = find_variant(spec.variant);
    PreparedLayer layer;
    layer.spec_ = spec;
    for (const VariantParam &p : variant.params()) layer.spec_.params[p.name] = variant_param(spec, p);
    layer.program_ = std::make_shared<const LayerProgram>(variant.prepare(spec, weights));
    return layer;
}

}  // namespace convforge
