/* 2D halo exchange on a 4x4 process grid (periodic): each step, every rank swaps one edge with each of its
 * four neighbours (non-blocking), computes its interior, and every 4th step joins a residual reduction. */
#include <mpi.h>
#include <stdlib.h>

#define EDGE 2048      /* doubles per edge */
#define STEPS 40

static double work(int n) { double x = 0; for (int i = 0; i < n; i++) x += i * 0.5; return x; }

int main(int argc, char **argv) {
  int rank, size;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int side = 4, row = rank / side, col = rank % side;
  int nb[4] = { ((row + side - 1) % side) * side + col, ((row + 1) % side) * side + col,
                row * side + (col + side - 1) % side, row * side + (col + 1) % side };
  double *out = calloc(4 * EDGE, sizeof(double)), *in = calloc(4 * EDGE, sizeof(double));
  volatile double sink = 0;
  for (int step = 0; step < STEPS; step++) {
    MPI_Request req[8];
    for (int d = 0; d < 4; d++) {
      MPI_Irecv(in + d * EDGE, EDGE, MPI_DOUBLE, nb[d], d ^ 1, MPI_COMM_WORLD, &req[d]);
      MPI_Isend(out + d * EDGE, EDGE, MPI_DOUBLE, nb[d], d, MPI_COMM_WORLD, &req[4 + d]);
    }
    MPI_Waitall(8, req, MPI_STATUSES_IGNORE);
    sink += work(200000 + 20000 * (rank % 3));
    if (step % 4 == 3) {
      double local = sink, global;
      MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    }
  }
  free(out); free(in);
  MPI_Finalize();
  return 0;
}
