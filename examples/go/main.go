// bookstore-c from Go: register a customer, log in, list the books, check one
// out with an idempotency key, follow the saga with WatchSaga to its end,
// print the order and the book's reviews -- and show how a bad request (or a
// review before the order was delivered) comes back as a gRPC status.
//
// Built offline with Debian's Go toolchain and libraries (GOPATH mode): see
// README.md. Services from scripts/run-local.sh (BOOKSTORE_<SERVICE>_TARGET
// overrides the addresses).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	catalog "github.com/bookstore-c/bookstore-c/gen/go/bookstore/catalog/v1"
	checkout "github.com/bookstore-c/bookstore-c/gen/go/bookstore/checkout/v1"
	common "github.com/bookstore-c/bookstore-c/gen/go/bookstore/common/v1"
	identity "github.com/bookstore-c/bookstore-c/gen/go/bookstore/identity/v1"
	order "github.com/bookstore-c/bookstore-c/gen/go/bookstore/order/v1"
	review "github.com/bookstore-c/bookstore-c/gen/go/bookstore/review/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func dial(name, port string) *grpc.ClientConn {
	target := os.Getenv("BOOKSTORE_" + name + "_TARGET")
	if target == "" {
		target = "127.0.0.1:" + port
	}
	conn, err := grpc.Dial(target, grpc.WithInsecure())
	if err != nil {
		log.Fatalf("dial %s: %v", target, err)
	}
	return conn
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		log.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func money(m *common.Money) string {
	return fmt.Sprintf("%d.%02d %s", m.Units, m.Nanos/10000000, m.CurrencyCode)
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ids := identity.NewIdentityServiceClient(dial("IDENTITY", "50051"))
	books := catalog.NewCatalogServiceClient(dial("CATALOG", "50052"))
	orders := order.NewOrderServiceClient(dial("ORDER", "50055"))
	shop := checkout.NewCheckoutServiceClient(dial("CHECKOUT", "50056"))
	reviews := review.NewReviewServiceClient(dial("REVIEW", "50057"))

	email, password := "reader-"+randomHex(4)+"@example.com", "a-good-password-1"
	if _, err := ids.RegisterUser(ctx, &identity.RegisterUserRequest{
		Email: email, Password: password, DisplayName: "Go Reader"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered", email)
	login, err := ids.Login(ctx, &identity.LoginRequest{Email: email, Password: password})
	if err != nil {
		log.Fatal(err)
	}
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+login.Tokens.AccessToken)

	list, err := books.ListBooks(ctx, &catalog.ListBooksRequest{Status: catalog.BookStatus_BOOK_STATUS_ON_SALE})
	if err != nil {
		log.Fatal(err)
	}
	if len(list.Books) == 0 {
		log.Fatal("no book on sale: the local run creates one (scripts/run-local.sh)")
	}
	book := list.Books[0]
	fmt.Printf("books: %d on sale, buying %q (%s)\n", len(list.Books), book.Title, book.Id)

	placed, err := shop.PlaceOrder(authed, &checkout.PlaceOrderRequest{
		Items: []*checkout.CheckoutItem{{BookId: book.Id, Quantity: 1}},
		ShippingAddress: &common.Address{Recipient: "Go Reader", Line1: "1 Main St", City: "Berlin",
			PostalCode: "10115", CountryCode: "DE"},
		PaymentMethodToken: "tok_ok",
		IdempotencyKey:     randomHex(16),
	})
	if err != nil {
		log.Fatal(err)
	}
	saga := placed.Saga
	stream, err := shop.WatchSaga(authed, &checkout.WatchSagaRequest{SagaId: saga.Id})
	if err != nil {
		log.Fatal(err)
	}
	for {
		update, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		saga = update.Saga
		done := 0
		for _, s := range saga.Steps {
			if s.Status == checkout.StepStatus_STEP_STATUS_SUCCEEDED {
				done++
			}
		}
		fmt.Printf("saga %s: %s (%d/%d steps done)\n", saga.Id, saga.Status, done, len(saga.Steps))
	}
	if saga.Status != checkout.SagaStatus_SAGA_STATUS_COMPLETED {
		log.Fatalf("checkout did not complete: %s", saga.FailureReason)
	}

	got, err := orders.GetOrder(authed, &order.GetOrderRequest{OrderId: saga.OrderId})
	if err != nil {
		log.Fatal(err)
	}
	o := got.Order
	lines := ""
	for i, it := range o.Items {
		if i > 0 {
			lines += ", "
		}
		lines += fmt.Sprintf("%d x %q", it.Quantity, it.Title)
	}
	fmt.Printf("order %s: %s, total %s, %s\n", o.Id, o.Status, money(o.Total), lines)

	rating, err := reviews.GetRatingSummary(ctx, &review.GetRatingSummaryRequest{BookId: book.Id})
	if err != nil {
		log.Fatal(err)
	}
	top, err := reviews.ListReviews(ctx, &review.ListReviewsRequest{
		BookId: book.Id, Order: review.ReviewOrder_REVIEW_ORDER_MOST_HELPFUL})
	if err != nil {
		log.Fatal(err)
	}
	stars := []int32{}
	for _, r := range top.Reviews {
		stars = append(stars, r.Rating)
	}
	fmt.Printf("reviews of %s: %d, average %.1f, most helpful first: %v\n", book.Id,
		rating.Rating.Count, rating.Rating.Average, stars)

	// errors come back as a gRPC status: a code and a message a person can act on
	_, err = reviews.CreateReview(authed, &review.CreateReviewRequest{
		BookId: book.Id, Rating: 5, Text: "Great read."})
	report("review before delivery", err)
	_, err = shop.PlaceOrder(authed, &checkout.PlaceOrderRequest{
		Items:              []*checkout.CheckoutItem{{BookId: book.Id, Quantity: 0}},
		PaymentMethodToken: "tok_ok", IdempotencyKey: randomHex(16)})
	report("bad request", err)
	_, err = ids.GetMe(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer expired"),
		&identity.GetMeRequest{})
	report("bad token", err)
}

func report(what string, err error) {
	if err == nil {
		log.Fatalf("%s: no error?", what)
	}
	st := status.Convert(err)
	fmt.Printf("%s -> %s: %s\n", what, codeName(st.Code().String()), st.Message())
}

// grpc-go names codes in camel case (InvalidArgument); print gRPC's own names.
func codeName(camel string) string {
	out := []byte{}
	for i := 0; i < len(camel); i++ {
		c := camel[i]
		if i > 0 && c >= 'A' && c <= 'Z' {
			out = append(out, '_')
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}
