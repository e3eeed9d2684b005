# The layer check: every folder library must link with nothing but the
# libraries it declares (target_link_libraries). For each one, a tiny
# executable takes *every* object of the library (--whole-archive) and its
# declared dependencies as usual; a call from a folder into one above it
# (a cycle between folders) is then an undefined reference, and the build
# fails naming the symbol, instead of linking by luck of the order.
function(pf_layer_check lib)
  set(check pf_layer_check_${lib})
  add_executable(${check} ${PROJECT_SOURCE_DIR}/cmake/pf_layer_check.c)
  target_link_libraries(${check} PRIVATE
    "-Wl,--whole-archive" $<TARGET_FILE:${lib}> "-Wl,--no-whole-archive" ${lib} pf_warnings)
endfunction()
