// Entry point: parse the command, dispatch, and turn errors into a message and
// an exit code. Nothing else lives here.
#include "animerec/app/commands.h"

int main(int argc, char** argv) { return animerec::app::run(argc, argv); }
