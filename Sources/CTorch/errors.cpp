// The thread-local error slot behind ct_last_error.
#include <string>

#include "internal.h"

namespace {
thread_local std::string last_error;
}

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
