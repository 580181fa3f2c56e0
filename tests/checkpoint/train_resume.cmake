# ember-train --resume end to end: a run stopped after epoch 1 (--stop-after-steps) and one
# stopped in the middle of epoch 2, each resumed with --resume, end with the same metrics.csv
# (time columns aside) and the same model.safetensors, byte for byte, as the run that never stopped.
set(common --model resnet20 --dataset synthetic --epochs 2 --train-subset 256 --test-subset 64
           --batch-size 32 --augment crop+flip --threads 2 --quiet)
function(train)
  execute_process(COMMAND ${TRAIN} ${common} --seed 5 ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc)
    message(FATAL_ERROR "ember-train ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endfunction()
function(metric_rows dir var)
  file(STRINGS ${dir}/metrics.csv lines)
  set(rows "")
  foreach(line IN LISTS lines)
    string(REPLACE "," ";" cols "${line}")
    list(SUBLIST cols 0 6 kept)
    list(APPEND rows "${kept}")
  endforeach()
  set(${var} "${rows}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
train(--out ${WORK_DIR}/full)
metric_rows(${WORK_DIR}/full full_rows)
foreach(stop 8 11)  # 8 steps per epoch: after epoch 1, and mid epoch 2
  train(--out ${WORK_DIR}/stop${stop} --stop-after-steps ${stop})
  if(NOT EXISTS ${WORK_DIR}/stop${stop}/checkpoints/latest)
    message(FATAL_ERROR "no checkpoint after --stop-after-steps ${stop}")
  endif()
  train(--resume ${WORK_DIR}/stop${stop})
  metric_rows(${WORK_DIR}/stop${stop} rows)
  if(NOT rows STREQUAL full_rows)
    message(FATAL_ERROR "stopped at ${stop} and resumed: different metrics\n${full_rows}\n${rows}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/full/model.safetensors
                          ${WORK_DIR}/stop${stop}/model.safetensors RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "stopped at ${stop} and resumed: different final weights")
  endif()
endforeach()
# A resume with different training options is refused with a message naming them.
execute_process(COMMAND ${TRAIN} ${common} --resume ${WORK_DIR}/stop8 --seed 6
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc OR NOT err MATCHES "--seed 5 \\(this run: 6\\)")
  message(FATAL_ERROR "a mismatched --resume should fail naming --seed (${rc}):\n${out}\n${err}")
endif()
message(STATUS "metrics: ${full_rows}")
