# Writes build_info.cpp with the current git commit. Run at every build (not
# only at configure time) so a binary never reports a stale commit;
# configure_file leaves the file untouched when nothing changed, so this
# costs no recompilation.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE ANIMEREC_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(NOT ANIMEREC_GIT_COMMIT)
  set(ANIMEREC_GIT_COMMIT "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE ANIMEREC_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET)
if(ANIMEREC_GIT_DIRTY)
  set(ANIMEREC_GIT_COMMIT "${ANIMEREC_GIT_COMMIT}-modified")
endif()
configure_file(${SOURCE_DIR}/src/core/build_info.cpp.in ${OUTPUT} @ONLY)
