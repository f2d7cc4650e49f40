#pragma once
// The animerec subcommands. run() parses argv, dispatches, and maps every
// animerec::Error to its message on stderr and its exit code.

namespace animerec::app {

int run(int argc, char** argv);

}  // namespace animerec::app
