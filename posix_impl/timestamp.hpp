/// @file timestamp.hpp
/// @brief The file-name timestamp of the document's servers: moment's
///        `` format('DD-MM-YYYY h-mm-ss') `` in local time.
///
/// Mirrors what the `moment` npm package prints for that pattern: day and month with
/// two digits, four-digit year, then `h` (the 12-hour hour, 1..12, no leading zero and
/// no AM/PM: moment's `hours() % 12 || 12`), minutes and seconds with two digits.
/// 01:05:07 and 13:05:07 of the same day both give "1-05-07": the document's names
/// collide twice a day, which the lesson READMEs demonstrate.
///
/// What it leaves out: every other moment token; only this pattern is needed.
#pragma once

#include <ctime>
#include <string>

namespace kit {

/// @brief `` moment(t).format('DD-MM-YYYY h-mm-ss') `` for the instant @p t (local time).
std::string momentTimestamp(std::time_t t);

/// @brief `` moment().format('DD-MM-YYYY h-mm-ss') ``: the timestamp for now.
std::string momentNow();

} // namespace kit
