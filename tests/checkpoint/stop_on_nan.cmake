# --stop-on-nan: a learning rate that blows the loss up must stop the run with a clear
# error after saving a checkpoint of the state before the failing batch; with
# --detect-anomaly the error names the op that produced the first NaN/Inf.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${TRAIN} --dataset synthetic --model mlp --epochs 5 --lr 1e12 --momentum 0.9
                        --schedule constant --stop-on-nan --quiet --out ${WORK_DIR}/plain
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "a diverging run exited 0:\n${out}\n${err}")
endif()
if(NOT err MATCHES "saved the state before this batch" OR NOT err MATCHES "the loss became")
  message(FATAL_ERROR "expected a saved checkpoint and a non-finite loss error:\n${err}")
endif()
if(NOT EXISTS ${WORK_DIR}/plain/checkpoints/latest)
  message(FATAL_ERROR "--stop-on-nan left no checkpoint")
endif()
execute_process(COMMAND ${TRAIN} --dataset synthetic --model mlp --epochs 5 --lr 1e12 --momentum 0.9
                        --schedule constant --stop-on-nan --detect-anomaly --quiet --out ${WORK_DIR}/anomaly
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "saved the state before this batch")
  message(FATAL_ERROR "anomaly mode did not stop and save:\n${out}\n${err}")
endif()
message(STATUS "stop-on-nan and detect-anomaly errors:\n${err}")
