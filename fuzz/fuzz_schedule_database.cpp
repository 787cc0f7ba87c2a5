// libFuzzer target: the schedule database reader, and the writer's round trip.
// Whatever the reader accepts, put record by record into a database, written as
// `save` writes it and read back, gives the same records in the same order, and
// that text is a fixed point: `tune` writes every database it has read this way.
#include <cstdio>
#include <cstdlib>

#include "../schedules/schedule_database.h"
#include "convforge/convforge.h"
#include "fuzz_input_file.h"

namespace {

[[noreturn]] void finding(const char *what, const std::string &detail = "") {
    std::fprintf(stderr, "fuzz_schedule_database: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    using namespace convforge;
    ScheduleDatabase db;
    try {
        db = ScheduleDatabase::load(fuzzing::input_file(data, size));
    } catch (const Error &) {
        return 0;  // refused with a message: the reader's whole duty
    }
    for (const auto &r : db.records()) db.find(r.target, r.variant, r.shape_class, r.workload, {r.batch, r.height, r.width});

    ScheduleDatabase rebuilt;
    for (const auto &r : db.records()) rebuilt.put(r);
    for (const auto &r : db.records()) rebuilt.put(r);  // the same keys again: replaced, not added
    std::string text;
    try {
        text = rebuilt.text("fuzz database");
    } catch (const Error &e) {
        // Inputs here are far below the size limit, so the writer may refuse
        // nothing the reader accepted.
        finding("the writer refuses a database the reader accepted", e.what());
    }
    ScheduleDatabase back;
    try {
        back = ScheduleDatabase::parse(text, "fuzz database as written");
    } catch (const Error &e) {
        finding("the reader refuses what the writer wrote", e.what());
    }
    if (back.records().size() != db.records().size()) finding("the round trip changed the number of records");
    for (size_t i = 0; i < db.records().size(); ++i) {
        if (back.records()[i] != db.records()[i]) finding("the round trip changed record", std::to_string(i));
    }
    if (back.text("fuzz database") != text) finding("writing what was read back gives other text");
    return 0;
}
