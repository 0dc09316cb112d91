/* A token ring of 8 ranks: rank 0 injects a token that travels round the ring; every hop the holder computes
 * for a while, then passes it on. A small acknowledgement goes back to the previous rank each hop. */
#include <mpi.h>

#define TOKEN 16384    /* bytes */
#define ROUNDS 12

static double work(int n) { double x = 0; for (int i = 0; i < n; i++) x += i * 0.25; return x; }

int main(int argc, char **argv) {
  int rank, size;
  static char token[TOKEN];
  char ack = 1;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int next = (rank + 1) % size, prev = (rank + size - 1) % size;
  volatile double sink = 0;
  for (int round = 0; round < ROUNDS; round++) {
    if (rank == 0) {
      sink += work(300000);
      MPI_Send(token, TOKEN, MPI_CHAR, next, 0, MPI_COMM_WORLD);
      MPI_Recv(token, TOKEN, MPI_CHAR, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&ack, 1, MPI_CHAR, prev, 1, MPI_COMM_WORLD);
      MPI_Recv(&ack, 1, MPI_CHAR, next, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(token, TOKEN, MPI_CHAR, prev, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(&ack, 1, MPI_CHAR, prev, 1, MPI_COMM_WORLD);
      sink += work(300000);
      MPI_Send(token, TOKEN, MPI_CHAR, next, 0, MPI_COMM_WORLD);
      MPI_Recv(&ack, 1, MPI_CHAR, next, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
  }
  MPI_Finalize();
  return 0;
}
