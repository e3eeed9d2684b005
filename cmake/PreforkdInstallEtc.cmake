# Install-time part of `cmake --install` (run by install(CODE) from the top
# CMakeLists.txt): renders the files that name installed paths (the
# configuration, the init script and its defaults file, the logrotate file,
# the systemd units) for the prefix of this installation, installs them,
# and creates the empty folders preforkd writes in.
#
# Set by the caller: PF_SOURCE_DIR, PF_STAGE_DIR (a folder of the build
# tree), the relative CMAKE_INSTALL_<dir> values and PF_SYSTEMD_UNIT_DIR.
# CMAKE_INSTALL_PREFIX is the prefix of this installation (--prefix
# included). Paths written into the files never include DESTDIR; the
# files are installed under it (file(INSTALL) adds it).
#
# A configuration file the administrator may have edited (preforkd.conf,
# default/preforkd) is never overwritten: when the installed copy differs
# from the new one, the new one is installed beside it as NAME.dist.

include("${PF_SOURCE_DIR}/cmake/PreforkdPaths.cmake")
pf_install_paths("${CMAKE_INSTALL_PREFIX}")

set(_rw OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(_rwx OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

file(REMOVE_RECURSE "${PF_STAGE_DIR}")
foreach(_entry ${PF_RENDERED})
  string(REPLACE "|" ";" _f "${_entry}")
  list(GET _f 0 _template)
  list(GET _f 1 _dirvar)
  list(GET _f 2 _name)
  list(GET _f 3 _mode)
  list(GET _f 4 _kind)
  set(_dest "${${_dirvar}}")
  set(_perm ${_rw})
  if(_mode STREQUAL "exec")
    set(_perm ${_rwx})
  endif()

  set(_stage "${PF_STAGE_DIR}/${_dirvar}")
  configure_file("${PF_SOURCE_DIR}/${_template}" "${_stage}/${_name}" @ONLY)
  set(_installed "$ENV{DESTDIR}${_dest}/${_name}")
  if(_kind STREQUAL "config" AND EXISTS "${_installed}")
    file(READ "${_installed}" _old)
    file(READ "${_stage}/${_name}" _new)
    if(NOT _old STREQUAL _new)
      message(STATUS "Keeping: ${_installed} (edited; the new one goes to ${_name}.dist)")
      file(RENAME "${_stage}/${_name}" "${_stage}/${_name}.dist")
      set(_name "${_name}.dist")
    endif()
  endif()
  file(INSTALL "${_stage}/${_name}" DESTINATION "${_dest}" FILE_PERMISSIONS ${_perm})
endforeach()

# Empty folders: the logs (0755: the files themselves are 0640), the state
# (the control token; 0700), and the pidfile's folder unless it is under
# /run, which is emptied at boot (systemd's RuntimeDirectory= or the init
# script create it there).
set(_dirs "${PF_LOG_DIR}|0755" "${PF_STATE_DIR}|0700")
if(NOT PF_RUN_DIR MATCHES "^/run/")
  list(APPEND _dirs "${PF_RUN_DIR}|0755")
endif()
foreach(_entry ${_dirs})
  string(REPLACE "|" ";" _f "${_entry}")
  list(GET _f 0 _dir)
  list(GET _f 1 _mode)
  get_filename_component(_parent "${_dir}" DIRECTORY)
  get_filename_component(_leaf "${_dir}" NAME)
  set(_perm OWNER_READ OWNER_WRITE OWNER_EXECUTE)
  if(_mode STREQUAL "0755")
    list(APPEND _perm GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endif()
  file(MAKE_DIRECTORY "${PF_STAGE_DIR}/empty/${_leaf}")
  file(INSTALL "${PF_STAGE_DIR}/empty/${_leaf}" DESTINATION "${_parent}"
       DIRECTORY_PERMISSIONS ${_perm})
endforeach()
