#include "knobs.h"

#include <sstream>
#include <stdexcept>

#include "../../generators/conv_contract.h"

namespace convforge {

const std::vector<KnobField> &conv_knob_fields() {
    static const std::vector<KnobField> fields = {
        {"vector_width", &ConvKnobs::vector_width},
        {"channel_vectors", &ConvKnobs::channel_vectors},
        {"tile_x", &ConvKnobs::tile_x},
        {"tile_y", &ConvKnobs::tile_y},
        {"grouped_vectors", &ConvKnobs::grouped_vectors},
        {"pointwise_channels", &ConvKnobs::pointwise_channels},
        {"pointwise_vectors", &ConvKnobs::pointwise_vectors},
        {"gpu_threads_x", &ConvKnobs::gpu_threads_x},
        {"gpu_threads_y", &ConvKnobs::gpu_threads_y},
        {"gpu_channels", &ConvKnobs::gpu_channels},
    };
    return fields;
}

void apply_knob_text(ConvKnobs &knobs, const std::string &text) {
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        if (item.empty()) continue;
        const auto eq = item.find(':');
        if (eq == std::string::npos) throw std::invalid_argument("knob '" + item + "' is not name:value");
        const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
        int *slot = nullptr;
        for (const auto &f : conv_knob_fields()) {
            if (name == f.name) slot = &(knobs.*(f.member));
        }
        if (!slot) throw std::invalid_argument("unknown conv knob '" + name + "'");
        size_t used = 0;
        int parsed = 0;
        try {
            parsed = std::stoi(value, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used != value.size() || parsed <= 0)
            throw std::invalid_argument("knob '" + name + "' needs a positive integer, got '" + value + "'");
        *slot = parsed;
    }
}

void check_conv_knobs(const ConvKnobs &k) {
    if (kPackedChannelAlignment % k.pointwise_channels != 0)
        throw std::invalid_argument("pointwise_channels " + std::to_string(k.pointwise_channels) +
                                    " must divide the packed channel alignment (" +
                                    std::to_string(kPackedChannelAlignment) + ")");
    if (kPackedChannelAlignment % k.dense_tile_channels() != 0)
        throw std::invalid_argument("dense tile of " + std::to_string(k.dense_tile_channels()) +
                                    " output channels must divide the packed channel alignment (" +
                                    std::to_string(kPackedChannelAlignment) + ")");
}

}  // namespace convforge
