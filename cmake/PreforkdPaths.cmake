# The absolute paths preforkd's installed files name (the installed
# configuration, the init script, its defaults file, the logrotate file and
# the systemd units), for an installation under a given prefix.
#
# It is used twice: at configure time for CMAKE_INSTALL_PREFIX (the copies
# in the build tree that the tests run), and at install time for the prefix
# `cmake --install --prefix` was given (cmake/PreforkdInstallEtc.cmake), so
# that the files always name the places the installation really used.
#
# The rules are GNUInstallDirs' own: a relative CMAKE_INSTALL_<dir> is
# relative to the prefix, except that SYSCONFDIR, LOCALSTATEDIR and
# RUNSTATEDIR become /etc, /var and /var/run for the prefixes / and /usr,
# and /etc/opt/P, /var/opt/P for a prefix /opt/P. Two choices of ours:
#  - a run-time folder of /var/run is written /run (on Debian and every
#    systemd system /var/run is a symbolic link to /run, and systemd warns
#    about units naming /var/run);
#  - a relative PF_SYSTEMD_UNIT_DIR is relative to the prefix.
#
# Needs CMAKE_INSTALL_{SBINDIR,BINDIR,SYSCONFDIR,LOCALSTATEDIR,RUNSTATEDIR,
# DATADIR} and PF_SYSTEMD_UNIT_DIR to be set.

# pf_abs_dir(OUT PREFIX KIND DIR): DIR made absolute for PREFIX. KIND is
# "host" for SYSCONFDIR, LOCALSTATEDIR and RUNSTATEDIR (the special cases
# above), anything else for the other folders.
function(pf_abs_dir out prefix kind dir)
  string(REGEX REPLACE "/+$" "" p "${prefix}")
  if(IS_ABSOLUTE "${dir}")
    set(abs "${dir}")
  elseif(kind STREQUAL "host" AND (p STREQUAL "" OR p STREQUAL "/usr"))
    set(abs "/${dir}")
  elseif(kind STREQUAL "host" AND p MATCHES "^/opt/" AND NOT p MATCHES "^/opt/homebrew/")
    set(abs "/${dir}${p}")
  else()
    set(abs "${p}/${dir}")
  endif()
  set(${out} "${abs}" PARENT_SCOPE)
endfunction()

# pf_install_paths(PREFIX): sets, in the caller's scope,
#   PF_SBIN_DIR PF_BIN_DIR PF_CONF_DIR PF_CONFIG PF_DEFAULTS_DIR PF_DEFAULTS_FILE
#   PF_INITD_DIR PF_LOGROTATE_DIR PF_LOG_DIR PF_STATE_DIR PF_RUN_DIR
#   PF_PIDFILE PF_WWW_DIR PF_UNIT_DIR
# and the lines of the service unit that make the log, state and run-time
# folders writable under ProtectSystem=strict (PF_UNIT_LOGS_DIR,
# PF_UNIT_STATE_DIR, PF_UNIT_RUNTIME_DIR): systemd's LogsDirectory=,
# StateDirectory=, RuntimeDirectory= when the folder is the one systemd
# manages (/var/log/preforkd, /var/lib/preforkd, /run/preforkd), otherwise
# ReadWritePaths= naming it.
macro(pf_install_paths prefix)
  pf_abs_dir(PF_SBIN_DIR "${prefix}" other "${CMAKE_INSTALL_SBINDIR}")
  pf_abs_dir(PF_BIN_DIR "${prefix}" other "${CMAKE_INSTALL_BINDIR}")
  pf_abs_dir(_pf_sysconf "${prefix}" host "${CMAKE_INSTALL_SYSCONFDIR}")
  pf_abs_dir(_pf_localstate "${prefix}" host "${CMAKE_INSTALL_LOCALSTATEDIR}")
  pf_abs_dir(_pf_runstate "${prefix}" host "${CMAKE_INSTALL_RUNSTATEDIR}")
  pf_abs_dir(_pf_data "${prefix}" other "${CMAKE_INSTALL_DATADIR}")
  pf_abs_dir(PF_UNIT_DIR "${prefix}" other "${PF_SYSTEMD_UNIT_DIR}")
  if(_pf_runstate STREQUAL "/var/run")
    set(_pf_runstate "/run")
  endif()

  set(PF_CONF_DIR "${_pf_sysconf}/preforkd")
  set(PF_CONFIG "${PF_CONF_DIR}/preforkd.conf")
  set(PF_DEFAULTS_DIR "${_pf_sysconf}/default")
  set(PF_DEFAULTS_FILE "${PF_DEFAULTS_DIR}/preforkd")
  set(PF_INITD_DIR "${_pf_sysconf}/init.d")
  set(PF_LOGROTATE_DIR "${_pf_sysconf}/logrotate.d")
  set(PF_LOG_DIR "${_pf_localstate}/log/preforkd")
  set(PF_STATE_DIR "${_pf_localstate}/lib/preforkd")
  set(PF_RUN_DIR "${_pf_runstate}/preforkd")
  set(PF_PIDFILE "${PF_RUN_DIR}/preforkd.pid")
  set(PF_WWW_DIR "${_pf_data}/preforkd/www")

  if(PF_LOG_DIR STREQUAL "/var/log/preforkd")
    set(PF_UNIT_LOGS_DIR "LogsDirectory=preforkd")
  else()
    set(PF_UNIT_LOGS_DIR "ReadWritePaths=${PF_LOG_DIR}")
  endif()
  if(PF_STATE_DIR STREQUAL "/var/lib/preforkd")
    set(PF_UNIT_STATE_DIR "StateDirectory=preforkd")
  else()
    set(PF_UNIT_STATE_DIR "ReadWritePaths=${PF_STATE_DIR}")
  endif()
  if(PF_RUN_DIR STREQUAL "/run/preforkd")
    set(PF_UNIT_RUNTIME_DIR "RuntimeDirectory=preforkd")
  else()
    set(PF_UNIT_RUNTIME_DIR "ReadWritePaths=${PF_RUN_DIR}")
  endif()
endmacro()

# The files rendered from templates: template (in the source tree),
# folder variable, name, mode ("exec" or "data"), and "config" when an
# existing copy the administrator may have edited must be kept ("plain"
# otherwise).
set(PF_RENDERED
  "etc/preforkd.conf.in|PF_CONF_DIR|preforkd.conf|data|config"
  "etc/default/preforkd.in|PF_DEFAULTS_DIR|preforkd|data|config"
  "etc/init.d/preforkd.in|PF_INITD_DIR|preforkd|exec|plain"
  "etc/logrotate.d/preforkd.in|PF_LOGROTATE_DIR|preforkd|data|plain"
  "etc/systemd/preforkd.service.in|PF_UNIT_DIR|preforkd.service|data|plain"
  "etc/systemd/preforkd.socket.in|PF_UNIT_DIR|preforkd.socket|data|plain")
