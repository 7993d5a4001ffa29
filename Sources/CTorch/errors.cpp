// The thread-local error slot behind ct_last_error.
#include "internal.h"  // first: it sets how libtorch's headers are compiled
#include <c10/util/Logging.h>

#include <string>


namespace {
thread_local std::string last_error;

// c10::Error symbolises a full C++ backtrace for every failed check (~8 ms each here), which we
// then cut off (set_error). Fetching none makes a failing op as cheap as a successful one.
struct NoBacktraces {
  NoBacktraces() {
    c10::SetStackTraceFetcher([] { return std::string(); });
  }
} no_backtraces;
}  // namespace

namespace ctorch {
void set_error(const char *message) {
  // libtorch messages end with a long C++ backtrace after "Exception raised from"; keep the
  // sentence a user can act on.
  std::string m(message);
  auto cut = m.find("\nException raised from");
  if (cut != std::string::npos) m.resize(cut);
  last_error = m;
}
}  // namespace ctorch

extern "C" const char *ct_last_error(void) { return last_error.c_str(); }
extern "C" void ct_clear_error(void) { last_error.clear(); }
