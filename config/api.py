from ninja import NinjaAPI

api = NinjaAPI(title="KAM API", version="1")
