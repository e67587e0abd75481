// timestamp.cpp: moment's 'DD-MM-YYYY h-mm-ss' (see timestamp.hpp).
#include "timestamp.hpp"

#include <fmt/format.h>

namespace kit {

std::string momentTimestamp(std::time_t t) {
    std::tm local{};
    localtime_r(&t, &local);  // the _r form: thread-safe, no shared static buffer
    const int hour12 = local.tm_hour % 12 == 0 ? 12 : local.tm_hour % 12;
    return fmt::format("{:02}-{:02}-{:04} {}-{:02}-{:02}", local.tm_mday, local.tm_mon + 1,
                       local.tm_year + 1900, hour12, local.tm_min, local.tm_sec);
}

std::string momentNow() { return momentTimestamp(std::time(nullptr)); }

} // namespace kit
