/* Master-worker: rank 0 hands out tasks of varying size to 7 workers, round robin, and collects each result
 * before handing that worker its next task; workers compute in proportion to the task. */
#include <mpi.h>

#define TASKS 56

static double work(int n) { double x = 0; for (int i = 0; i < n; i++) x += i * 0.125; return x; }

int main(int argc, char **argv) {
  int rank, size;
  static char task[65536], result[8192];
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int workers = size - 1;
  if (rank == 0) {
    for (int t = 0; t < TASKS; t++) {
      int w = 1 + t % workers, bytes = 4096 * (1 + t % 16);
      if (t >= workers) MPI_Recv(result, 8192, MPI_CHAR, w, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&bytes, 1, MPI_INT, w, 2, MPI_COMM_WORLD);
      MPI_Send(task, bytes, MPI_CHAR, w, 0, MPI_COMM_WORLD);
    }
    for (int w = 1; w <= workers; w++) {
      int stop = 0;
      MPI_Recv(result, 8192, MPI_CHAR, w, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&stop, 1, MPI_INT, w, 2, MPI_COMM_WORLD);
    }
  } else {
    volatile double sink = 0;
    for (;;) {
      int bytes;
      MPI_Recv(&bytes, 1, MPI_INT, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (bytes == 0) break;
      MPI_Recv(task, bytes, MPI_CHAR, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      sink += work(bytes * 40);
      MPI_Send(result, 8192, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    }
  }
  MPI_Finalize();
  return 0;
}
