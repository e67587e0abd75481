// kit_pch.hpp -- the library's headers, precompiled once for the exercises' builds
// (mk/teach.mk, GCC only): each exercise then compiles in a second or two instead of
// re-reading them all. The exercises include what they use as usual; this changes
// nothing but the build time. (No #pragma once: it is given to the compiler with
// -include, never #included.)

#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "events.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"
#include "timestamp.hpp"
