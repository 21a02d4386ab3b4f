// The grpc-go peer for bench/run.sh and bench/run-services.sh: the test
// service's Echo served by grpc-go (Debian's golang-google-grpc-dev), doing
// what the C runtime's Echo does -- decode the request, answer the message,
// the deadline left, the peer and the x-echo metadata, one JSON access-log
// line per call -- so the two are compared in one run under the same load.
// Built offline in GOPATH mode by bench/go-peer/build.sh. Prints "listening
// on port N"; GOMAXPROCS as the Go runtime chooses (all cores).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	pb "bookstore-bench/testingpb"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

type echoServer struct {
	pb.UnimplementedTestServiceServer
}

func (echoServer) Echo(ctx context.Context, r *pb.EchoRequest) (*pb.EchoResponse, error) {
	resp := &pb.EchoResponse{Message: r.Message, DeadlineRemainingMs: -1}
	if d, ok := ctx.Deadline(); ok {
		resp.DeadlineRemainingMs = time.Until(d).Milliseconds()
	}
	if p, ok := peer.FromContext(ctx); ok {
		resp.Peer = p.Addr.String()
	}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-echo"); len(v) > 0 {
			resp.EchoMetadata = v[0]
		}
	}
	return resp, nil
}

type accessLine struct {
	Msg        string  `json:"msg"`
	Method     string  `json:"method"`
	Code       string  `json:"code"`
	DurationMs float64 `json:"duration_ms"`
}

// accessLog writes one line per call, as the C runtime's access log does.
func accessLog(ctx context.Context, req interface{}, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler) (interface{}, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	line, _ := json.Marshal(accessLine{"call", info.FullMethod, status.Code(err).String(),
		float64(time.Since(start).Microseconds()) / 1000})
	os.Stderr.Write(append(line, '\n'))
	return resp, err
}

func main() {
	addr := os.Getenv("GO_PEER_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("listen %s: %v", addr, err)
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(accessLog))
	pb.RegisterTestServiceServer(s, echoServer{})
	fmt.Printf("listening on port %d\n", lis.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() { <-stop; s.Stop() }()
	if err := s.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
