// libFuzzer target: the schedule database reader.
#include "../schedules/schedule_database.h"
#include "convforge/convforge.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace convforge;
    try {
        const ScheduleDatabase db = ScheduleDatabase::load(fuzzing::input_file(data, size));
        for (const auto &r : db.records()) db.find(r.target, r.variant, r.shape_class);
    } catch (const Error &) {
    }
    return 0;
}
